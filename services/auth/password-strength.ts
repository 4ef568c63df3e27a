import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/** The rule a password chosen by a person must pass (issue #17): long enough, and hard to guess. */
export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn's 0–4 scale; 3 is "safely unguessable" (about 10^10 guesses), its own advice for accounts. */
export const MIN_PASSWORD_SCORE = 3;

/**
 * Why a new password is refused, as an i18n key under `password.` (vi + en): the dashboard shows it
 * beside the field. zxcvbn's own feedback is English only, so it is not passed on.
 */
export type PasswordProblem = 'too-short' | 'too-weak' | 'contains-name' | 'same-as-old';

// Built once: ranking the common dictionaries takes ~100 ms.
let factory: ZxcvbnFactory | undefined;

/**
 * The first problem of a new password, or null when it passes. `userInputs` are the user's own
 * words (user name, full name, commune): zxcvbn counts a password built from them as weak, and a
 * password containing the user name whole is refused outright.
 */
export function passwordProblem(
  password: string,
  userInputs: readonly string[],
  oldPassword?: string,
): PasswordProblem | null {
  const pw = password.normalize('NFC');
  if ([...pw].length < MIN_PASSWORD_LENGTH) return 'too-short';
  if (oldPassword !== undefined && pw === oldPassword.normalize('NFC')) return 'same-as-old';
  const lower = pw.toLowerCase();
  if (userInputs.some((w) => w.length >= 3 && lower.includes(w.toLowerCase()))) return 'contains-name';
  factory ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  const words = userInputs.flatMap((w) => w.toLowerCase().split(/[\s.\-_]+/)).filter((w) => w.length > 1);
  return factory.check(pw, words).score < MIN_PASSWORD_SCORE ? 'too-weak' : null;
}
