// Sweeper must not depend on the host's time zone: unless TZ is given, the tests run in one with DST.
process.env.TZ ??= 'America/New_York';

/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 60000,
  // A handle a failed test leaves open (a knex pool waiting for a connection) must not hold the run
  // open after its results are in: CI once hung for 80 minutes after a red suite. Jest still names it.
  forceExit: true,
  // Says once when the MySQL suite is skipped (no mariadbd here), or fails the run when it is required.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
