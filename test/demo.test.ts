// @module-tag floor
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { expect, it } from 'vitest'
import { runDemo } from '../src/demo/demo.js'

const demoFolders = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('image-invalidate-demo-'))

// `image-invalidate demo` and `npm run demo`: both phases against the demo's own loopback stand-ins.
it('the demo plans 13, sends the flip of 15 in 2 calls only after the promotion, exits 0 and removes its folder', async () => {
  const before = await demoFolders()
  let output = ''
  const code = await runDemo({ write: (text) => (output += text) })
  expect(code, output).toBe(0)
  expect(output).toContain('vs dpl_demo_1: 11 changed, 2 removed, 2 added -> 13 source images to invalidate in 2 calls')
  expect(output).toContain('/images/new.png: added: the live deployment has no variant of it to cache')
  expect(output).toContain('/icons/mark.svg: touched, but its bytes are the same')
  const calls = [...output.matchAll(/call (\d), ([\d.]+) s (after|BEFORE) the promotion: POST (\S+) -> (\d+), (\d+) source images/g)].map((match) =>
    match.slice(1),
  )
  expect(calls).toEqual([
    ['1', expect.any(String), 'after', '/v1/edge-cache/invalidate-by-src-images?projectIdOrName=prj_demo', '200', '8'],
    ['2', expect.any(String), 'after', '/v1/edge-cache/invalidate-by-src-images?projectIdOrName=prj_demo', '200', '7'],
  ])
  expect(output).toContain(
    '15 source images invalidated in 2 calls: the 13 changed or removed ones the build planned, and the 2 added ones (/images/my picture.png, /images/new.png)',
  )
  // What the demo changes (step 2), against what the plugin planned and what the API stand-in received: the
  // changed and removed images planned, the added names sent too, the touched mark.svg and the two untouched
  // photos in neither.
  const gallery = Array.from({ length: 10 }, (_, i) => `/gallery/photo-${String(i + 1).padStart(2, '0')}.png`)
  const changedOrRemoved = ['/avatar.png', ...gallery, '/images/hero.png', '/images/my photo.png'].sort()
  expect(listedUnder(output, /^ {2}planned \(\d+\)/)).toEqual(changedOrRemoved)
  const sent = [...listedUnder(output, /^ {2}call 1, /), ...listedUnder(output, /^ {2}call 2, /)].sort()
  expect(sent).toEqual([...changedOrRemoved, '/images/my picture.png', '/images/new.png'].sort())
  expect(await demoFolders()).toEqual(before)
})

/** The source images the demo lists (indented four spaces) under the line that matches `heading`, sorted. */
function listedUnder(output: string, heading: RegExp): string[] {
  const lines = output.split('\n')
  const start = lines.findIndex((line) => heading.test(line))
  expect(start, `a line matching ${heading}`).toBeGreaterThanOrEqual(0)
  const listed: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('    /')) break
    listed.push(line.trim())
  }
  return listed.sort()
}
