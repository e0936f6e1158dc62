import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './role';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) role!: Role;
  @Column({ name: 'agency_id', type: 'uuid', nullable: true }) agencyId!: string | null;
  @Column({ name: 'sub_account_id', type: 'uuid', nullable: true }) subAccountId!: string | null;
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  @Column({ name: 'secret_sha256', type: 'bytea', select: false }) secretSha256!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
}
