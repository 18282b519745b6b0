// @module-tag floor
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, symlink } from 'node:fs/promises'
import path from 'node:path'
import type { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { hashFiles, startHashingThreads } from '../../src/core/hash.js'
import { repoRoot, run } from '../helpers/fixture.js'
import { tempDir } from '../helpers/tmp.js'

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

describe('hashFiles', () => {
  it('gives an empty result for an empty list', async () => {
    expect(await hashFiles([])).toEqual({ digests: {}, stamps: new Map(), failures: [], bytes: 0, reused: 0 })
  })

  it('hashes on threads started ahead, once, and starts its own when it wants another number of them', async () => {
    const dir = await tempDir({ 'a.png': 'abc', 'b.png': 'x' })
    const files = ['a.png', 'b.png'].map((name) => ({ key: `/${name}`, absolutePath: path.join(dir, name) }))
    const expected = { '/a.png': { hash: sha256('abc'), size: 3 }, '/b.png': { hash: sha256('x'), size: 1 } }
    // Node tells every thread this process starts (the process's 'worker' event, on the next tick): which
    // run started which.
    const exited: Array<Promise<unknown>> = []
    const onWorker = (worker: Worker) => exited.push(once(worker, 'exit'))
    const startedSoFar = async () => {
      await new Promise((resolve) => setImmediate(resolve))
      return exited.length
    }
    process.on('worker', onWorker)
    try {
      startHashingThreads(2)
      expect(await startedSoFar()).toBe(2)
      expect((await hashFiles(files, { threads: 2 })).digests).toEqual(expected)
      expect(await startedSoFar(), 'the run took the two threads started ahead').toBe(2)
      // Those threads are gone with the run: the next one starts its own.
      await Promise.all(exited)
      expect((await hashFiles(files, { threads: 2 })).digests).toEqual(expected)
      expect(await startedSoFar()).toBe(4)
      // Three started ahead for a run that wants two: they are ended, and two are started.
      startHashingThreads(3)
      expect((await hashFiles(files, { threads: 2 })).digests).toEqual(expected)
      expect(await startedSoFar()).toBe(9)
      await Promise.all(exited.slice(4, 7))
    } finally {
      process.off('worker', onWorker)
    }
  })

  it('gives the SHA-256 and size of each file', async () => {
    const dir = await tempDir({ 'a.png': 'abc', 'b.png': '' })
    const result = await hashFiles([
      { key: '/a.png', absolutePath: path.join(dir, 'a.png') },
      { key: '/b.png', absolutePath: path.join(dir, 'b.png') },
    ])
    expect(result.digests['/a.png']).toEqual({ hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', size: 3 })
    expect(result.digests['/b.png']).toEqual({ hash: sha256(''), size: 0 })
    expect(result.bytes).toBe(3)
    expect(result.failures).toEqual([])
  })

  it('streams a file larger than the one-shot limit and gets the same digest', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 17)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251
    const dir = await tempDir({ 'big.tif': big })
    const { digests } = await hashFiles([{ key: '/big.tif', absolutePath: path.join(dir, 'big.tif') }])
    expect(digests['/big.tif']).toEqual({ hash: sha256(big), size: big.length })
  })

  it('reports a file it cannot read (a dangling link, a folder) and still hashes the rest', async () => {
    const dir = await tempDir({ 'ok.png': 'fine' })
    await symlink(path.join(dir, 'gone.png'), path.join(dir, 'dangling.png'))
    await mkdir(path.join(dir, 'folder.png'))
    const result = await hashFiles(
      ['ok.png', 'dangling.png', 'folder.png'].map((name) => ({ key: `/${name}`, absolutePath: path.join(dir, name) })),
      { threads: 2 },
    )
    expect(Object.keys(result.digests)).toEqual(['/ok.png'])
    expect(result.failures.map((failure) => failure.key)).toEqual(['/dangling.png', '/folder.png'])
    expect(result.failures[0]!.reason).toMatch(/ENOENT/)
    expect(result.failures[1]!.reason).toMatch(/EISDIR/)
  })

  it('shares files of very different sizes between threads and gets every digest once, unreadable ones reported', async () => {
    const contents: Record<string, Buffer> = {}
    for (let i = 0; i < 40; i++) contents[`img/${i}.png`] = Buffer.alloc([0, 1, 70_000, 3 * 1024 * 1024 + 5][i % 4]!, i)
    const dir = await tempDir(contents)
    await symlink(path.join(dir, 'gone.png'), path.join(dir, 'img/dangling.png'))
    const names = [...Object.keys(contents), 'img/dangling.png']
    const result = await hashFiles(
      names.map((name) => ({ key: `/${name}`, absolutePath: path.join(dir, name) })),
      { threads: 3 },
    )
    for (const [name, content] of Object.entries(contents)) expect(result.digests[`/${name}`]).toEqual({ hash: sha256(content), size: content.length })
    expect(Object.keys(result.digests)).toHaveLength(40)
    expect(result.failures.map((failure) => failure.key)).toEqual(['/img/dangling.png'])
    expect(result.bytes).toBe(Object.values(contents).reduce((sum, content) => sum + content.length, 0))
  })

  it('hashes many files on several threads, each once, and loses none', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 300; i++) files[`img/${i}.png`] = `content ${i}`
    const dir = await tempDir(files)
    const entries = Object.keys(files).map((name) => ({ key: `/${name}`, absolutePath: path.join(dir, name) }))
    const progress: number[] = []
    const result = await hashFiles(entries, { threads: 3, onProgress: ({ files }) => progress.push(files) })
    // In the order the files came in (the walk gives them in key order).
    expect(Object.keys(result.digests)).toEqual(entries.map((entry) => entry.key))
    for (let i = 0; i < 300; i++) expect(result.digests[`/img/${i}.png`]!.hash).toBe(sha256(`content ${i}`))
    expect(result.bytes).toBe(Object.values(files).reduce((sum, content) => sum + content.length, 0))
    expect(progress.at(-1)).toBe(300)
  })
})

describe('the built hashing thread', () => {
  it('runs in a process started with node --input-type=module -e, whose flag a thread from a file refuses', async () => {
    const dir = await tempDir({ 'public/a.png': 'a', 'public/b.png': 'b' })
    const script = `import { planBuild, resolveBuildOptions } from ${JSON.stringify(path.join(repoRoot, 'dist/index.js'))}
const options = resolveBuildOptions({ enabled: true, baseline: false, cache: false }, { root: process.cwd() })
const result = await planBuild(options, [], { info() {}, warn: console.error })
console.log(JSON.stringify(Object.keys(result.manifest.images)))`
    const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, timeoutMs: 30_000 })
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual(['/a.png', '/b.png'])
  })
})
