import { getLocale, LOCALES, setLocale, t } from '../i18n.ts';
import { h } from './dom.ts';

/** VI | EN toggle; the choice is kept in localStorage. */
export function langSwitch(): HTMLElement {
  const cur = getLocale();
  return h(
    'div',
    { class: 'lang-switch', role: 'group', 'aria-label': t('lang.label') },
    LOCALES.map((l) =>
      h(
        'button',
        {
          type: 'button',
          class: l === cur ? 'active' : '',
          'aria-pressed': l === cur ? 'true' : 'false',
          'data-locale': l,
          title: l === 'vi' ? t('lang.vi') : t('lang.en'),
          onclick: () => setLocale(l),
        },
        l.toUpperCase(),
      ),
    ),
  );
}
