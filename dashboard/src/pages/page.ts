/**
 * The page seam of the dashboard: one entry per page, listed once in ./registry.ts. The router,
 * the top navigation, the document title and the role check all read that list, so adding a page
 * is one file (exporting its entry made with `definePage`) and one line in the registry.
 */
import type { Role } from '../types.ts';

export interface PageEntry<Id extends string = string> {
  /** Stable kebab-case name: `data-nav` in the header, the argument of `href`. */
  readonly id: Id;
  /** Hash path pattern; a `:name` segment is a parameter handed to `render` (`/devices/:id`). */
  readonly path: string;
  /** i18n key of the document title (`… · Canh Xã`). */
  readonly titleKey: string;
  /** i18n key of the top-navigation link; a page without one (it needs a parameter) is not in the bar. */
  readonly navKey?: string;
  /**
   * Roles that get the page. The API refuses (403) whatever this says; this only keeps people away
   * from links that would fail. Device types per role come from the API.
   */
  readonly roles: readonly Role[];
  /** Draws the page into `root`; returns what stops its timers and subscriptions. */
  readonly render: (root: HTMLElement, params: Readonly<Record<string, string>>) => () => void;
}

/** Keeps the literal `id`, so `PageId` (registry.ts) is the union of the registered ids. */
export function definePage<const Id extends string>(entry: PageEntry<Id>): PageEntry<Id> {
  return entry;
}
