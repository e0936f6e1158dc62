import 'reflect-metadata';
import { loadConfig } from '../../config/config';
import { openDatabase } from '../../db/database';
import { formatMicros } from '../../shared/money';
import { Logger } from '../../shared/logger';
import { verifyLedger } from './ledger-verify';

/** `npm run ledger:verify`: the same database `npm start` uses (DATABASE_URL or the embedded one). */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config, new Logger('warn'));
  try {
    const result = await verifyLedger(database.dataSource);
    console.log(`ledger:verify checked ${result.accounts} accounts and ${result.transfers} transfers`);
    console.log(`  total debits  ${formatMicros(result.totalDebitsMicros)} USD`);
    console.log(`  total credits ${formatMicros(result.totalCreditsMicros)} USD`);
    console.log('  every stored balance recomputed from its transfers; debits equal credits overall');
    for (const problem of result.problems) console.error(`  MISMATCH: ${problem}`);
    console.log(result.ok ? 'ledger:verify OK' : `ledger:verify FAILED with ${result.problems.length} problems`);
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    await database.close();
  }
}

main().catch((error) => {
  console.error('ledger:verify could not run:', error instanceof Error ? error.message : error);
  process.exit(2);
});
