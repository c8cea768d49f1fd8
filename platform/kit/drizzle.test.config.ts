// drizzle-kit config for the db module's test fixture only:
//   npx drizzle-kit generate --config drizzle.test.config.ts
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './test/db/fixtures/schema.ts',
  out: './test/db/fixtures/migrations',
});
