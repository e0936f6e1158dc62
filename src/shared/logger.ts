import type { LogLevel } from '../config/config';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A minimal leveled logger writing one JSON line per entry to stderr/stdout. */
export class Logger {
  constructor(private readonly level: LogLevel) {}

  debug(message: string, fields?: object): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: object): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: object): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: object): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields?: object): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...fields });
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  }
}
