import type { Page } from 'playwright-core';

/** The password every browser test signs up with. */
export const TEST_PASSWORD = 'a long enough passphrase 42';

/**
 * Creates an account through the sign-up page, as a person would, and waits for the meetings list that
 * follows. `organization` fills the optional organization field.
 */
export async function signUp(page: Page, name: string, email: string, organization?: string): Promise<void> {
  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
  if (organization !== undefined) await page.getByLabel('Organization (optional)').fill(organization);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Meetings', exact: true }).waitFor();
}
