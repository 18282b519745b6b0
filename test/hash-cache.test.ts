// @module-tag floor
import { stat, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashFiles, type CachedDigest } from '../src/core/hash.js'
import { loadHashCache, saveHashCache } from '../src/shared/hash-cache.js'
import { tempDir } from './helpers/tmp.js'

const FAKE = 'f'.repeat(64)
const files = (dir: string, names: string[]) => names.map((name) => ({ key: `/${name}`, absolutePath: path.join(dir, name) }))

describe('hashFiles with a cache', () => {
  it('takes the cached digest, unread, when the stamp matches, and reads the file when any part differs', async () => {
    const dir = await tempDir({ 'a.png': 'a', 'b.png': 'b' })
    const first = await hashFiles(files(dir, ['a.png', 'b.png']), { cache: new Map() })
    expect((await hashFiles(files(dir, ['a.png']))).stamps.size).toBe(0)
    const stampA = first.stamps.get('/a.png')!
    const stampB = first.stamps.get('/b.png')!
    // A digest no file has: if it comes back, the file was not read.
    const cache = new Map<string, CachedDigest>([
      ['/a.png', { ...stampA, hash: FAKE }],
      ['/b.png', { ...stampB, ctimeMs: stampB.ctimeMs - 1, hash: FAKE }],
    ])
    const second = await hashFiles(files(dir, ['a.png', 'b.png']), { cache })
    expect(second.digests['/a.png']).toEqual({ hash: FAKE, size: 1 })
    expect(second.digests['/b.png']).toEqual(first.digests['/b.png'])
    expect(second.reused).toBe(1)
    expect(second.bytes).toBe(1)
  })
})

describe('the hash cache file', () => {
  it('round-trips, and keeps no file changed within the last 2 seconds ("racily clean")', async () => {
    const dir = await tempDir({ 'a.png': 'a', 'b.png': 'b' })
    const cacheFile = path.join(dir, 'cache/hashes.json')
    const list = files(dir, ['a.png', 'b.png'])
    const hashed = await hashFiles(list, { cache: new Map() })
    // Saved 1 s after the files' last change (not at Date.now(): on a loaded machine more than 2 s may have
    // gone by since they were written), then 10 s after.
    const changed = Math.max(...[...hashed.stamps.values()].map((stamp) => Math.max(stamp.mtimeMs, stamp.ctimeMs)))
    await saveHashCache(cacheFile, dir, hashed, changed + 1_000)
    expect((await loadHashCache(cacheFile, dir)).size).toBe(0)
    await saveHashCache(cacheFile, dir, hashed, changed + 10_000)
    const cache = await loadHashCache(cacheFile, dir)
    expect([...cache.keys()].sort()).toEqual(['/a.png', '/b.png'])
    expect(cache.get('/a.png')).toEqual({ ...hashed.stamps.get('/a.png'), hash: hashed.digests['/a.png']!.hash })
  })

  it('sees an edit that keeps the size and puts the old mtime back: the change time moved', async () => {
    const dir = await tempDir({ 'a.png': 'old!' })
    const file = path.join(dir, 'a.png')
    const cacheFile = path.join(dir, 'hashes.json')
    const list = files(dir, ['a.png'])
    const before = await hashFiles(list, { cache: new Map() })
    await saveHashCache(cacheFile, dir, before, Date.now() + 10_000)
    const { mtimeMs, ctimeMs } = before.stamps.get('/a.png')!
    // The change time has the kernel clock's granularity (a few ms): an edit within the same tick keeps it,
    // which is what the cache's racy window is for. Edit until the change time has moved, as any later edit's does.
    do {
      await writeFile(file, 'new!')
      await utimes(file, new Date(mtimeMs), new Date(mtimeMs))
    } while ((await stat(file)).ctimeMs === ctimeMs)
    const after = await hashFiles(list, { cache: await loadHashCache(cacheFile, dir) })
    expect(after.reused).toBe(0)
    expect(after.digests['/a.png']!.hash).not.toBe(before.digests['/a.png']!.hash)
  })

  it('ignores a cache that is missing, corrupt, of another folder or version, or inconsistent', async () => {
    const dir = await tempDir()
    const stamps = (...numbers: number[]) => Buffer.from(new Float64Array(numbers).buffer).toString('base64')
    const hashes = (hex: string) => Buffer.from(hex, 'hex').toString('base64')
    const cacheOf = (change: Record<string, unknown>) =>
      JSON.stringify({ version: 2, publicDir: dir, keys: ['/a.png'], stamps: stamps(1, 2, 3, 4), hashes: hashes(FAKE), ...change })
    const cases: Record<string, string> = {
      'bad.json': '{nope',
      'null.json': 'null',
      'other-folder.json': cacheOf({ publicDir: '/elsewhere' }),
      'version-1.json': JSON.stringify({ version: 1, publicDir: dir, entries: { [path.join(dir, 'a.png')]: [1, 2, 3, 4, FAKE] } }),
      'short-stamps.json': cacheOf({ stamps: stamps(1, 2, 3) }),
      'not-a-number.json': cacheOf({ stamps: stamps(1, 2, 3, Number.NaN) }),
      'not-base64-stamps.json': cacheOf({ stamps: [1, 2, 3, 4] }),
      'odd-stamps.json': cacheOf({ stamps: Buffer.alloc(31).toString('base64') }),
      'short-hashes.json': cacheOf({ hashes: hashes(FAKE.slice(2)) }),
      'hex-hashes.json': cacheOf({ hashes: FAKE }),
      'not-a-key.json': cacheOf({ keys: [42] }),
    }
    expect((await loadHashCache(path.join(dir, 'none.json'), dir)).size).toBe(0)
    for (const [name, text] of Object.entries(cases)) {
      await writeFile(path.join(dir, name), text)
      expect([name, (await loadHashCache(path.join(dir, name), dir)).size]).toEqual([name, 0])
    }
    await writeFile(path.join(dir, 'good.json'), cacheOf({}))
    expect(await loadHashCache(path.join(dir, 'good.json'), dir)).toEqual(new Map([['/a.png', { size: 1, mtimeMs: 2, ctimeMs: 3, ino: 4, hash: FAKE }]]))
  })
})
