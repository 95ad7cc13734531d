// SPDX-License-Identifier: MIT
// Shared argv/env handling and output for the e2e SDK clients.
import { parseArgs } from 'node:util';

// Options every client takes. Base URL and key also come from MOCK_BASE_URL
// and MOCK_API_KEY. --header k:v (repeatable) adds request headers, e.g. the
// mock's x-mock-error:429 switch.
export function clientArgs(extra = {}, defaults = {}) {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      key: { type: 'string' },
      mode: { type: 'string', default: defaults.mode ?? 'all' },
      model: { type: 'string', default: defaults.model },
      header: { type: 'string', multiple: true, default: [] },
      retries: { type: 'string', default: '0' },
      'max-tokens': { type: 'string' },
      ...extra,
    },
    allowPositionals: false,
  });
  const base = values.base ?? process.env.MOCK_BASE_URL;
  if (!base) fail('need --base URL or MOCK_BASE_URL');
  const headers = {};
  for (const h of values.header) {
    const i = h.indexOf(':');
    if (i <= 0) fail(`bad --header ${h}, want name:value`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return {
    ...values,
    base: base.replace(/\/+$/, ''),
    key: values.key ?? process.env.MOCK_API_KEY ?? defaults.key ?? 'sk-proj-e2eTESTkey0123456789abcdef',
    headers,
    retries: Number(values.retries),
    maxTokens: values['max-tokens'] ? Number(values['max-tokens']) : undefined,
  };
}

export function fail(msg) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

// Runs the named steps in order; each returns a plain object for the
// summary. An API error is recorded, not thrown, and makes the exit code 3.
export async function runSteps(client, mode, steps) {
  const names = mode === 'all' ? Object.keys(steps) : mode.split(',');
  const results = [];
  let failed = false;
  for (const name of names) {
    const fn = steps[name];
    if (!fn) fail(`unknown mode ${name}; have ${Object.keys(steps).join(',')}`);
    try {
      results.push({ step: name, ok: true, ...(await fn()) });
    } catch (e) {
      failed = true;
      results.push({
        step: name, ok: false,
        error: { status: e?.status ?? e?.code ?? null, name: e?.name ?? null,
                 message: String(e?.message ?? e).slice(0, 300) },
      });
    }
  }
  process.stdout.write(JSON.stringify({ client, results }, null, 1) + '\n');
  process.exitCode = failed ? 3 : 0;
}

export const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
};
