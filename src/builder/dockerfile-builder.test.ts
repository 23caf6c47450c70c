import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neededStages } from './dockerfile-builder.ts';
import { parseDockerfileStages } from './dockerfile.ts';

test('the stages a target needs: FROM a stage, COPY --from a stage (by name or number, build args expanded), not images', () => {
  const df = parseDockerfileStages([
    'ARG TOOLS=tools',
    'FROM busybox AS tools',
    'FROM busybox AS unused',
    'FROM busybox AS deps',
    'FROM deps AS build',
    'COPY --from=${TOOLS} /bin/x /x',
    'COPY --from=busybox:latest /bin/sh /sh',
    'FROM scratch AS final',
    'COPY --from=build /x /x',
    'COPY --from=0 /y /y',
  ].join('\n'));
  const globals = new Map([['TOOLS', 'tools']]);
  assert.deepEqual(neededStages(df, df.stages[4]!, globals), [0, 2, 3, 4]);
  assert.deepEqual(neededStages(df, df.stages[1]!, globals), [1]);
  assert.deepEqual(neededStages(df, df.stages[3]!, globals), [0, 2, 3]);
});
