import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintTransformer } from '../../db/transformers';

@Entity('wallets')
export class WalletEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'sub_account_id', type: 'uuid' }) subAccountId!: string;
  @Column({ name: 'balance_micros', type: 'bigint', transformer: bigintTransformer }) balanceMicros!: bigint;
  @Column({ name: 'low_balance_threshold_micros', type: 'bigint', transformer: bigintTransformer })
  lowBalanceThresholdMicros!: bigint;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;

  /** Lets the Node interface resolve this row's GraphQL type. */
  get __typename(): 'Wallet' {
    return 'Wallet';
  }
}
