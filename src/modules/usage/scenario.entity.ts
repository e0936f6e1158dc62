import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A call scenario of a sub-account (the vendor's campaigns and projects); calls may name one. */
@Entity('scenarios')
export class ScenarioEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'sub_account_id', type: 'uuid' }) subAccountId!: string;
  @Column({ type: 'text' }) name!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
