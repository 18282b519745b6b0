// @module-tag once
import path from 'node:path'
import { expect, it } from 'vitest'
import { repoRoot, run } from './helpers/fixture.js'

// The benchmark's small variant, as a smoke test: it must run end to end and report every case. Timing
// targets are checked only by the full `npm run bench`, never here. Tagged `once`: it checks the contributors'
// script, which runs on the machine's Node; the package it measures is tested on every Node by the rest.
it('npm run bench -- --smoke runs every case and prints the table', async () => {
  const result = await run(process.execPath, [path.join(repoRoot, 'scripts/bench.mjs'), '--smoke'], { cwd: repoRoot, timeoutMs: 230_000 })
  expect(result.code, result.output).toBe(0)
  for (const row of [
    /smoke-mixed: openssl dgst/,
    /smoke-mixed: sequential Node/,
    /smoke-mixed: unplugin-image-invalidate +\d+/,
    /smoke-small: unplugin-image-invalidate +\d+/,
    /smoke-huge: with one 16 MiB file/,
    /unchanged rebuild +\d+ +201 of 201 unread \(first build \d+ ms\), 0 planned, 1 request/,
    /apply 100 images, 5 ms latency, 4 in flight +\d+ +13 requests/,
    /smoke-many: 2000 files in 2 folders +\d+ +\d+ +\d\.\d\dx openssl/,
    /flip window: site flips -> last call accepted +\d+ +polling from 1 s; flips at 0\.3 s: \d+ ms/,
    /next dev start-up, spawn -> "Ready", with the plugin +\d+ +[+-]\d+ ms over \d+ without/,
    /next dev start-up, spawn -> first \/_next\/image answer, with the plugin +\d+ +[+-]\d+ ms over \d+ without/,
    /next dev: replaced image written -> its variant gone, right after the start +\d+ +runs: \d+ ms/,
    /next dev: replaced image written -> its variant gone, 5 s later +\d+ +runs: \d+ ms/,
    /next dev start-up, CPU of its processes to that answer, with the plugin +\d+ +[+-]\d+ ms over \d+ without/,
  ]) {
    expect(result.stdout).toMatch(row)
  }
  expect(result.stdout).toContain('smoke run complete')
})
