import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import fg from 'fast-glob'
import { expect, it } from 'vitest'
import { repoRoot, run } from './helpers/fixture.js'

async function fingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256')
  for (const file of (await fg('**/*', { cwd: dir, dot: true })).sort()) hash.update(file).update(await readFile(path.join(dir, file)))
  return hash.digest('hex')
}

it('npm run demo: plans, waits for the promotion, invalidates the flip in 2 calls, exits 0 and leaves the fixture as it was', async () => {
  const fixture = path.join(repoRoot, 'fixtures/vite-app')
  const before = await fingerprint(fixture)
  const result = await run(process.execPath, [path.join(repoRoot, 'scripts/demo.mjs')], { cwd: repoRoot })
  expect(result.code, result.output).toBe(0)
  expect(result.stdout).toContain('11 changed, 2 removed, 2 added -> 13 source images to invalidate in 2 calls')
  expect(result.stdout).toMatch(/call 1: POST \/v1\/edge-cache\/invalidate-by-src-images\?projectIdOrName=prj_demo -> 200, 8 source images/)
  expect(result.stdout).toMatch(/call 2: .* -> 200, 7 source images/)
  expect(result.stdout).toContain('15 source images invalidated in 2 calls')
  expect(result.stdout).toContain('the 13 changed or removed ones of the plan, and the 2 added ones (/images/my picture.png, /images/new.png)')
  expect(result.stdout).toContain('/images/new.png: added: the live deployment has no variant of it to cache')
  expect(result.stdout).toContain('/icons/mark.svg: touched, but its bytes are the same')
  // The plan and the wait are told once each.
  expect(result.stdout.match(/flip dpl_demo_1 -> dpl_demo_2/g)).toHaveLength(1)
  expect(result.stdout.match(/live: /g)).toHaveLength(1)
  expect(result.stdout.indexOf('promoted: the site now serves build dpl_demo_2')).toBeLessThan(result.stdout.indexOf('invalidated 8:'))
  expect(await fingerprint(fixture)).toBe(before)
})
