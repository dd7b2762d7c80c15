import { TEST_DATABASES } from '../support/dialects';
import { describeConditionChecks, type FixtureTarget } from './condition-suite';
import { openFixture } from './fixture-db';
import { describeHardInputs } from './hard-inputs-suite';

/** The condition, delete and hard-input suites on each test database, on the fixture of fixture-db.ts. */
describe.each(TEST_DATABASES)('$name', (db) => {
  async function open(): Promise<FixtureTarget> {
    const database = await db.emptyDatabase();
    return openFixture(db.name, database.connection, database.drop);
  }
  describeConditionChecks(db.name, open);
  describeHardInputs(db.name, open);
});
