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
  expect(await demoFolders()).toEqual(before)
})
