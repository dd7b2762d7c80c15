import type { Clock } from '../../src/clock';

/** A clock the test moves by hand; sleeping never waits. */
export class TestClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
}
