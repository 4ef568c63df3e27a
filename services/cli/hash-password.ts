import { createInterface } from 'node:readline/promises';
import { hashPassword } from '../auth/passwords.ts';

/** `npm run hash-password`: reads a password from stdin and prints the hash for a commune file. */
const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
const password = (await rl.question('Password: ')).trim();
rl.close();
if (password.length < 10) {
  process.stderr.write('Use at least 10 characters.\n');
  process.exit(1);
}
process.stdout.write(`${await hashPassword(password)}\n`);
