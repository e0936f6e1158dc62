import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';

@Entity('agencies')
export class AgencyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'plan_code', type: 'text' }) planCode!: string;
  @Column({ name: 'plan_started_at', type: 'timestamptz' }) planStartedAt!: Date;
  @Column({ name: 'default_markup_basic_micros', type: 'bigint', transformer: bigintTransformer })
  defaultMarkupBasicMicros!: bigint;
  @Column({ name: 'default_markup_premium_micros', type: 'bigint', transformer: bigintTransformer })
  defaultMarkupPremiumMicros!: bigint;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
