// Which organization an admin tab shows, kept apart from the components so it can be tested alone.

/**
 * The organization a tab shows for a choice `picked` ('' for none): any for the superadmin, one of their
 * own for an org admin (a stale choice falls back to their first), else `fallback`.
 */
export function shownOrg(
  picked: string,
  superadmin: boolean,
  adminOrgs: ReadonlyArray<{ id: string }>,
  fallback: string | undefined,
): string | undefined {
  if (picked !== '' && (superadmin || adminOrgs.some((o) => o.id === picked))) return picked;
  return fallback;
}

/** One option of an organization picker; `value` '' is the picker's first option (see orgChoices). */
export interface OrgChoice {
  value: string;
  label: string;
}

/**
 * The options of an organization picker, each organization once: `first` (value '', which stands for
 * `ownId` when it is set: the caller's own organization, shown by default), then `found` in its order,
 * leaving out `ownId` and any organization listed before.
 */
export function orgChoices(
  first: string,
  found: ReadonlyArray<{ id: string; label: string }>,
  ownId?: string,
): OrgChoice[] {
  const seen = new Set<string>(ownId === undefined ? [] : [ownId]);
  const choices: OrgChoice[] = [{ value: '', label: first }];
  for (const o of found) {
    if (seen.has(o.id)) continue;
    seen.add(o.id);
    choices.push({ value: o.id, label: o.label });
  }
  return choices;
}
