// @module-tag floor
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveBuildOptions } from '../src/plugin/options.js'
import { readVercelProjectLink, resolveVercelTarget } from '../src/vercel/target.js'
import { tempDir } from './helpers/tmp.js'

const root = '/project'
const resolve = (options = {}, env: Record<string, string> = {}, context = {}) => resolveBuildOptions(options, { root, env, ...context })

describe('resolveBuildOptions', () => {
  it('plans on Vercel production builds, against the production site, keyed by the deployment id', () => {
    const resolved = resolve({}, { VERCEL: '1', VERCEL_ENV: 'production', VERCEL_PROJECT_PRODUCTION_URL: 'example.com', VERCEL_DEPLOYMENT_ID: 'dpl_abc' })
    expect(resolved).toMatchObject({
      active: true,
      planning: true,
      planningReason: 'Vercel production build',
      baseline: 'https://example.com/_image-invalidate.json',
      buildId: 'dpl_abc',
      publicDir: '/project/public',
      planFile: '/project/node_modules/.cache/unplugin-image-invalidate/plan.json',
    })
  })

  it('leaves out an option of the wrong type, naming it, instead of failing the build at its end', () => {
    const options = {
      include: 5,
      exclude: ['drafts/**', 1],
      basePath: 5,
      baseline: 7,
      publicDir: 3,
      enabled: 'yes',
      planFile: () => 'x',
      baselineTimeoutMs: '5000',
    }
    const resolved = resolveBuildOptions(options as never, { root, env: {} })
    expect(resolved).toMatchObject({
      active: true,
      include: undefined,
      exclude: [],
      basePath: '',
      baseline: null,
      publicDir: '/project/public',
      baselineTimeoutMs: 10_000,
    })
    expect(resolved.warnings).toEqual([
      'option include: 5 is not a glob or a list of globs; ignored',
      'option exclude: ["drafts/**",1] is not a glob or a list of globs; ignored',
      'option basePath: 5 is not a string; ignored',
      'option baseline: 7 is not a URL, a file or false; ignored',
      'option publicDir: 3 is not a folder or false; ignored',
      'option enabled: "yes" is not true or false; ignored',
      'option planFile: a function is not a string; ignored',
      'option baselineTimeoutMs: "5000" is not a number of milliseconds; ignored',
    ])
    expect(resolveBuildOptions(null, { root, env: {} })).toMatchObject({ active: true, warnings: [] })
  })

  it('writes a manifest but plans nothing on a preview build or outside Vercel, unless asked', () => {
    expect(resolve({}, { VERCEL_ENV: 'preview' })).toMatchObject({
      active: true,
      planning: false,
      planningReason: expect.stringContaining('Vercel preview build'),
    })
    expect(resolve({}, {})).toMatchObject({ active: true, planning: false, planningReason: expect.stringContaining('not a Vercel production build') })
    expect(resolve({}, { VERCEL_ENV: 'preview', IMAGE_INVALIDATE: 'on' })).toMatchObject({ planning: true, planningReason: 'IMAGE_INVALIDATE is on' })
    expect(resolve({}, { IMAGE_INVALIDATE_BASELINE: './old.json' })).toMatchObject({ planning: true, baseline: '/project/old.json' })
  })

  it.each(['0', 'false', 'OFF', 'no'])('IMAGE_INVALIDATE=%s turns everything off, even on Vercel production', (value) => {
    expect(resolve({}, { IMAGE_INVALIDATE: value, VERCEL_ENV: 'production' })).toMatchObject({ active: false, planning: false })
  })

  it('keeps a digest cache beside the plan, except in CI and on Vercel (a fresh checkout), unless asked', () => {
    expect(resolve({}, {}).cacheFile).toBe('/project/node_modules/.cache/unplugin-image-invalidate/hashes.json')
    expect(resolve({}, { CI: 'true' }).cacheFile).toBeNull()
    expect(resolve({}, { VERCEL: '1' }).cacheFile).toBeNull()
    expect(resolve({ cache: true }, { CI: 'true' }).cacheFile).toBe('/project/node_modules/.cache/unplugin-image-invalidate/hashes.json')
    expect(resolve({ cache: false }, {}).cacheFile).toBeNull()
  })

  it('lets options win over environment flags', () => {
    expect(resolve({ enabled: false }, { IMAGE_INVALIDATE: '1' }).active).toBe(false)
    expect(resolve({ baseline: 'https://a.test/m.json' }, { IMAGE_INVALIDATE_BASELINE: 'b.json' }).baseline).toBe('https://a.test/m.json')
    expect(resolve({ baseline: false }, { VERCEL_ENV: 'production', VERCEL_PROJECT_PRODUCTION_URL: 'x.com' }).baseline).toBeNull()
    expect(resolve({ dryRun: false }, { IMAGE_INVALIDATE_DRY_RUN: 'true' }).dryRun).toBe(false)
    expect(resolve({}, { IMAGE_INVALIDATE_DRY_RUN: 'true' }).dryRun).toBe(true)
    expect(resolve({ siteUrl: 'https://mine.test/' }, { IMAGE_INVALIDATE_SITE_URL: 'https://env.test', VERCEL_ENV: 'production' }).baseline).toBe(
      'https://mine.test/_image-invalidate.json',
    )
  })

  it('puts basePath into the default baseline URL, from the bundler unless an option says otherwise', () => {
    const env = { IMAGE_INVALIDATE_SITE_URL: 'http://127.0.0.1:3000' }
    expect(resolve({}, env, { basePath: '/docs' })).toMatchObject({ basePath: '/docs', baseline: 'http://127.0.0.1:3000/docs/_image-invalidate.json' })
    expect(resolve({ basePath: '/app' }, env, { basePath: '/docs' }).basePath).toBe('/app')
  })

  it('warns about flags and options it cannot use and carries on with the default', () => {
    const resolved = resolve({ basePath: 'docs' }, { IMAGE_INVALIDATE: 'maybe', IMAGE_INVALIDATE_SITE_URL: 'ftp://x' })
    expect(resolved.basePath).toBe('')
    expect(resolved.planning).toBe(false)
    expect(resolved.warnings).toEqual([
      'IMAGE_INVALIDATE="maybe" is not one of 1/true/on or 0/false/off; ignored',
      'basePath "docs" is not an absolute path; using "" instead',
      'site URL "ftp://x" is not an http(s) URL; ignored',
    ])
  })

  it('makes a fresh build id per build when Vercel gives none', () => {
    expect(resolve().buildId).toMatch(/^build_[0-9a-f-]{36}$/)
    expect(resolve().buildId).not.toBe(resolve().buildId)
  })

  it('takes publicDir false as no public directory', () => {
    expect(resolve({}, {}, { publicDir: false }).publicDir).toBeNull()
    expect(resolve({ publicDir: 'static' }, {}, { publicDir: false }).publicDir).toBe(path.resolve('/project/static'))
  })
})

describe('readVercelProjectLink', () => {
  it('reads the project and owner written by `vercel link`, and nothing from a missing or broken file', async () => {
    const dir = await tempDir({ '.vercel/project.json': JSON.stringify({ projectId: 'prj_1', orgId: 'team_2' }) })
    expect(readVercelProjectLink(dir)).toEqual({ projectId: 'prj_1', orgId: 'team_2' })
    const broken = await tempDir()
    await mkdir(path.join(broken, '.vercel'))
    await writeFile(path.join(broken, '.vercel/project.json'), '{nope')
    expect(readVercelProjectLink(broken)).toEqual({})
    expect(readVercelProjectLink(await tempDir())).toEqual({})
  })
})

describe('resolveVercelTarget', () => {
  const team = (input: Parameters<typeof resolveVercelTarget>[0], env: Record<string, string>) => {
    const target = resolveVercelTarget({ token: 'tok_1', projectId: 'prj_1', ...input }, '/nowhere', env)
    if ('problem' in target) throw new Error(target.problem)
    return { teamId: target.teamId, teamSlug: target.teamSlug }
  }

  it('takes the team from the options, then VERCEL_TEAM_ID, then a team orgId: a team_… value is an id, any other a slug', () => {
    expect(team({ teamSlug: 'acme-web' }, { VERCEL_TEAM_ID: 'team_other', VERCEL_ORG_ID: 'team_org' })).toEqual({ teamId: undefined, teamSlug: 'acme-web' })
    expect(team({ teamId: 'acme-web' }, { VERCEL_TEAM_ID: 'team_other' })).toEqual({ teamId: undefined, teamSlug: 'acme-web' })
    expect(team({}, { VERCEL_TEAM_ID: 'acme-web', VERCEL_ORG_ID: 'team_org' })).toEqual({ teamId: undefined, teamSlug: 'acme-web' })
    expect(team({}, { VERCEL_TEAM_ID: 'team_abc' })).toEqual({ teamId: 'team_abc', teamSlug: undefined })
    expect(team({}, { VERCEL_ORG_ID: 'team_org' })).toEqual({ teamId: 'team_org', teamSlug: undefined })
    // A personal account: neither.
    expect(team({}, { VERCEL_ORG_ID: 'user_123' })).toEqual({ teamId: undefined, teamSlug: undefined })
  })
})
