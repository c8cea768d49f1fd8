import { describe, expect, it } from 'vitest';
import { orgChoices, shownOrg } from './shownOrg.js';

const mine = [{ id: 'org_a' }, { id: 'org_b' }];

describe('shownOrg', () => {
  it('shows the first organization until another is picked', () => {
    expect(shownOrg('', false, mine, 'org_a')).toBe('org_a');
    expect(shownOrg('', true, [], 'org_a')).toBe('org_a');
  });

  it('lets an admin of several organizations pick one of theirs', () => {
    expect(shownOrg('org_b', false, mine, 'org_a')).toBe('org_b');
  });

  it('does not let an org admin pick an organization they do not administer', () => {
    expect(shownOrg('org_x', false, mine, 'org_a')).toBe('org_a');
  });

  it('lets the superadmin pick any organization', () => {
    expect(shownOrg('org_x', true, [], 'org_a')).toBe('org_x');
  });
});

describe('orgChoices', () => {
  const found = [
    { id: 'org_own', label: 'Operations (1 member)' },
    { id: 'org_b', label: 'Analytical Engines (1 member)' },
    { id: 'org_c', label: 'Difference Engines (3 members)' },
  ];

  it('lists the own organization once, first, and the others in the order found', () => {
    expect(orgChoices('Operations (your organization)', found, 'org_own')).toEqual([
      { value: '', label: 'Operations (your organization)' },
      { value: 'org_b', label: 'Analytical Engines (1 member)' },
      { value: 'org_c', label: 'Difference Engines (3 members)' },
    ]);
  });

  it('keeps the own organization first when the search finds only it', () => {
    expect(orgChoices('Operations (your organization)', [found[0]!], 'org_own')).toEqual([
      { value: '', label: 'Operations (your organization)' },
    ]);
  });

  it('lists an organization found twice once', () => {
    const twice = [found[1]!, found[2]!, found[1]!];
    const choices = orgChoices('Choose an organization', twice);
    expect(choices.map((c) => c.value)).toEqual(['', 'org_b', 'org_c']);
    expect(new Set(choices.map((c) => c.label)).size).toBe(choices.length);
  });

  it('lists every organization found when the first option stands for none of them', () => {
    expect(orgChoices('Every organization', found).map((c) => c.value)).toEqual([
      '',
      'org_own',
      'org_b',
      'org_c',
    ]);
  });
});
