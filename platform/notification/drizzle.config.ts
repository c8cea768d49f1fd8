// drizzle-kit config: `npm run db:generate` writes a new migration into ./drizzle after a schema change.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
