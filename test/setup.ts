// After each test: no live tasklet and no strand left bound to a tasklet.
import { afterEach, expect } from 'vitest';
import { stats } from '../dist/cjs/index.js';
import { until } from './helpers';

afterEach(async () => {
  await until(() => stats().liveTasklets === 0, 2_000).catch(() => undefined);
  const s = stats();
  expect(s.liveTasklets, 'tasklets left alive by this test').toBe(0);
  expect(s.idleStrands, 'strands left bound to a tasklet').toBe(s.strands);
});
