import { appendFile, copyFile, mkdir, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Manifest } from '../src/core/manifest.js'
import { copyFixture, repoRoot, run, type Fixture } from './helpers/fixture.js'

const IMAGES = ['/img/hero.png', '/img/my photo.png', '/mark.svg']

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

const summaries = (output: string) => output.split('\n').filter((line) => line.includes('hashed in'))
const node = (fixture: Fixture, args: string[], env: Record<string, string> = {}) => run(process.execPath, args, { cwd: fixture.dir, env })

// rspack shares webpack's compiler API and the plugin's code for it: the same build, with rspack's own compiler.
describe.each([
  { bundler: 'webpack', link: 'webpack', script: 'webpack.build.mjs', modeVariable: 'WEBPACK_MODE' },
  { bundler: 'rspack', link: '@rspack/core', script: 'rspack.build.mjs', modeVariable: 'RSPACK_MODE' },
])('$bundler', ({ link, script, modeVariable }) => {
  it('runs once for a client + server pair, in the client output, after it is written; plans a change', async () => {
    fixture = await copyFixture('bundler-app', [link])
    const first = await node(fixture, [script], { IMAGE_INVALIDATE_BASELINE: 'live.json' })
    expect(first.code, first.output).toBe(0)
    expect(summaries(first.output)).toHaveLength(1)
    expect(existsSync(fixture.path('dist/client/main.js'))).toBe(true)
    expect(existsSync(fixture.path('dist/server/main.js'))).toBe(true)
    expect(existsSync(fixture.path('dist/server/_image-invalidate.json'))).toBe(false)
    const live = await fixture.readJson<Manifest>('dist/client/_image-invalidate.json')
    expect(Object.keys(live.images)).toEqual(IMAGES)

    await copyFile(fixture.path('dist/client/_image-invalidate.json'), fixture.path('live.json'))
    await appendFile(fixture.path('public/img/hero.png'), 'x')
    const second = await node(fixture, [script], { IMAGE_INVALIDATE_BASELINE: 'live.json' })
    expect(second.code, second.output).toBe(0)
    expect((await fixture.readJson<Manifest>('dist/client/_image-invalidate.json')).plan).toEqual({ baseline: live.buildId, srcImages: ['/img/hero.png'] })
  })

  it('does nothing in development mode', async () => {
    fixture = await copyFixture('bundler-app', [link])
    const result = await node(fixture, [script], { [modeVariable]: 'development', IMAGE_INVALIDATE: '1' })
    expect(result.code, result.output).toBe(0)
    expect(existsSync(fixture.path('dist/client/main.js'))).toBe(true)
    expect(existsSync(fixture.path('dist/client/_image-invalidate.json'))).toBe(false)
  })
})

describe('rollup', () => {
  const rollup = (fixture: Fixture, env: Record<string, string>) => node(fixture, [path.join(repoRoot, 'node_modules/rollup/dist/bin/rollup'), '-c'], env)

  it('computes once for two outputs and writes the manifest into each, on a production build', async () => {
    fixture = await copyFixture('bundler-app', ['rollup'])
    const result = await rollup(fixture, { NODE_ENV: 'production', IMAGE_INVALIDATE_BASELINE: 'none.json' })
    expect(result.code, result.output).toBe(0)
    expect(summaries(result.output)).toHaveLength(1)
    const esm = await fixture.readJson<Manifest>('dist/esm/_image-invalidate.json')
    expect(Object.keys(esm.images)).toEqual(IMAGES)
    expect(await fixture.readJson('dist/cjs/_image-invalidate.json')).toEqual(esm)
  })

  // The plugin never fails a build unless strict: the second output's manifest, written after the plan, is
  // guarded as the plan is. A folder where its file should go makes that write fail (EISDIR).
  it('warns and goes on when the second output cannot take the manifest; fails the build with strict', async () => {
    fixture = await copyFixture('bundler-app', ['rollup'])
    const inTurn = async (env: Record<string, string>) => {
      await rm(fixture!.path('dist'), { recursive: true, force: true })
      await mkdir(fixture!.path('dist/second/_image-invalidate.json'), { recursive: true })
      return node(fixture!, ['rollup.in-turn.mjs'], { NODE_ENV: 'production', ...env })
    }
    const lenient = await inTurn({})
    expect(lenient.code, lenient.output).toBe(0)
    const second = path.join(fixture.dir, 'dist/second')
    expect(lenient.stderr).toContain(`the manifest was not written into ${second}, the build goes on: EISDIR`)
    expect(Object.keys((await fixture.readJson<Manifest>('dist/first/_image-invalidate.json')).images)).toEqual(IMAGES)
    expect(existsSync(fixture.path('dist/second/index.js'))).toBe(true)

    const strict = await inTurn({ STRICT: '1' })
    expect(strict.code, strict.output).not.toBe(0)
    expect(strict.stderr).toContain('EISDIR')
    expect(strict.stderr).not.toContain('the build goes on')
    expect(existsSync(fixture.path('dist/first/_image-invalidate.json'))).toBe(true)
  })

  it('does nothing when the build is not a production one', async () => {
    fixture = await copyFixture('bundler-app', ['rollup'])
    const result = await rollup(fixture, {})
    expect(result.code, result.output).toBe(0)
    expect(existsSync(fixture.path('dist/esm/index.js'))).toBe(true)
    expect(existsSync(fixture.path('dist/esm/_image-invalidate.json'))).toBe(false)
  })
})

describe('esbuild', () => {
  it('writes the manifest into outdir on a production build', async () => {
    fixture = await copyFixture('bundler-app', ['esbuild'])
    const result = await node(fixture, ['esbuild.build.mjs'], { NODE_ENV: 'production', IMAGE_INVALIDATE_BASELINE: 'none.json' })
    expect(result.code, result.output).toBe(0)
    expect(summaries(result.output)).toHaveLength(1)
    expect(existsSync(fixture.path('dist/index.js'))).toBe(true)
    expect(Object.keys((await fixture.readJson<Manifest>('dist/_image-invalidate.json')).images)).toEqual(IMAGES)
  })
})
