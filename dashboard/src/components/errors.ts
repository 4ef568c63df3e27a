import { ApiError } from '../api.ts';
import { hasKey, t } from '../i18n.ts';
import { h } from './dom.ts';

/** Text for an API error: `error.<code>` with its params; unknown codes fall back to a generic message. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'CX_NETWORK') return t('app.networkError');
    const key = `error.${err.code}`;
    return hasKey(key) ? t(key, err.params) : t('error.CX_INTERNAL');
  }
  console.error(err);
  return t('error.CX_INTERNAL');
}

export function errorBox(err: unknown): HTMLElement {
  return h('div', { class: 'alert alert-error', role: 'alert' }, errorText(err));
}
