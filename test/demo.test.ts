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

/** The source images the demo lists (indented four spaces) under the line that matches `heading`, sorted. */
function listedUnder(stdout: string, heading: RegExp): string[] {
  const lines = stdout.split('\n')
  const start = lines.findIndex((line) => heading.test(line))
  expect(start, `a line matching ${heading}`).toBeGreaterThanOrEqual(0)
  const listed: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('    /')) break
    listed.push(line.trim())
  }
  return listed.sort()
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
  // What the demo changes (scripts/demo.mjs, step 2), against what the plugin planned (the plan file, listed
  // under "planned") and what the API stand-in received (listed under each call): the changed and removed
  // images planned, the added names sent too, the touched mark.svg and the two untouched photos in neither.
  const gallery = Array.from({ length: 10 }, (_, i) => `/gallery/photo-${String(i + 1).padStart(2, '0')}.png`)
  const changedOrRemoved = ['/avatar.png', ...gallery, '/images/hero.png', '/images/my photo.png'].sort()
  expect(listedUnder(result.stdout, /^ {2}planned \(\d+\):$/)).toEqual(changedOrRemoved)
  const sent = listedUnder(result.stdout, /^ {2}call 1: /).concat(listedUnder(result.stdout, /^ {2}call 2: /))
  expect(sent.sort()).toEqual([...changedOrRemoved, '/images/my picture.png', '/images/new.png'].sort())
  // The plan and the wait are told once each.
  expect(result.stdout.match(/flip dpl_demo_1 -> dpl_demo_2/g)).toHaveLength(1)
  expect(result.stdout.match(/live: /g)).toHaveLength(1)
  expect(result.stdout.indexOf('promoted: the site now serves build dpl_demo_2')).toBeLessThan(result.stdout.indexOf('invalidated 8:'))
  expect(await fingerprint(fixture)).toBe(before)
})
