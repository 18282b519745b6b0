import { existsSync, readFileSync } from 'node:fs'
import { cp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseModule } from 'magicast'
import { afterEach, describe, expect, it } from 'vitest'
import { configHasPlugin } from '../src/setup/config.js'
import type { DoctorReport } from '../src/setup/doctor.js'
import { detectApp } from '../src/setup/frameworks.js'
import { SECRET_VARIABLE, WEBHOOK_EVENTS } from '../src/setup/webhook-setup.js'
import { HELP } from '../src/cli-help.js'
import { cleanEnv } from './helpers/env.js'
import { copyFixture, copyFixtureInRepo, nextBuild, repoRoot, run, viteBuild, type Fixture } from './helpers/fixture.js'
import { killGroup, spawnTracked } from './helpers/processes.js'
import { asBeforeInit, fixtureFiles, imageInvalidate as runCli, snapshot, startProjectApi, TOKEN, withoutConfig } from './helpers/setup-app.js'
import { tempDir } from './helpers/tmp.js'
import type { VercelApiStandIn } from './stand-ins/vercel-api.mjs'

let api: VercelApiStandIn | undefined
let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  await api?.close()
  api = fixture = undefined
})

const imageInvalidate = (dir: string, args: string[], env: Record<string, string> = {}) => runCli(api!, dir, args, env)

/** The calls that change something on Vercel. */
const changingCalls = (stand: VercelApiStandIn) => stand.calls.filter((call) => call.method !== 'GET')

/**
 * One webhook at `url` for the project with every event, and one Production variable holding its secret
 * (and, when the user said yes, one holding the token).
 */
function expectWebhookAndSecret(stand: VercelApiStandIn, url: string, token: string[] = []): void {
  expect(stand.webhooks).toHaveLength(1)
  const [webhook] = stand.webhooks
  expect(webhook).toMatchObject({ url, projectIds: ['prj_1'] })
  expect([...webhook!.events].sort()).toEqual([...WEBHOOK_EVENTS].sort())
  expect(stand.variables).toEqual([
    expect.objectContaining({ key: SECRET_VARIABLE, value: webhook!.secret, type: 'encrypted', target: ['production'] }),
    ...token.map((value) => expect.objectContaining({ key: 'VERCEL_TOKEN', value, type: 'sensitive', target: ['production'] })),
  ])
}

describe('image-invalidate init --yes in each framework', () => {
  // Where each framework serves the route, and the base path its config gives the URL.
  // React Router lists its routes by hand: the route config names the module too.
  const cases = [
    ['astro-app', 'src/pages/api/image-invalidate.js', 'https://site.example.com/api/image-invalidate', {}],
    ['nuxt-app', 'server/api/image-invalidate.post.js', 'https://site.example.com/docs/api/image-invalidate', {}],
    ['sveltekit-app', 'src/routes/api/image-invalidate/+server.js', 'https://site.example.com/docs/api/image-invalidate', {}],
    [
      'react-router-app',
      'app/routes/api.image-invalidate.js',
      'https://site.example.com/api/image-invalidate',
      {
        'app/routes.js': `import { index, route } from '@react-router/dev/routes';\nexport default [index('routes/home.jsx'), route(\n  'api/image-invalidate',\n  'routes/api.image-invalidate.js'\n)];\n`,
      },
    ],
  ] as const
  it.each(cases)(
    '%s: the config gains the plugin and still parses, the route is written, the webhook and its secret are made once',
    async (name, route, url, edited: Record<string, string>) => {
      api = await startProjectApi()
      const dir = await fixtureFiles(name)
      const first = await imageInvalidate(dir, ['init', '--yes'])
      expect(first.code, first.output).toBe(0)
      expect(first.output).not.toContain(TOKEN)

      const app = detectApp(dir)
      // The edited config parses, and the plugin is in it.
      expect(() => parseModule(readFileSync(app.configFile!, 'utf8'))).not.toThrow()
      expect(configHasPlugin(app)).toBe(true)
      const routeText = await readFile(path.join(dir, route), 'utf8')
      expect(routeText).toContain("import { createWebhookHandler } from 'unplugin-image-invalidate/routes'")
      expect(() => parseModule(routeText)).not.toThrow()
      for (const [file, content] of Object.entries(edited)) expect(await readFile(path.join(dir, file), 'utf8')).toBe(content)
      expectWebhookAndSecret(api, url)

      // A second run finds its webhook and variable, and changes nothing.
      const before = await snapshot(dir)
      const calls = changingCalls(api).length
      const second = await imageInvalidate(dir, ['init', '--yes'])
      expect(second.code, second.output).toBe(0)
      expect(second.stdout).toContain('nothing to change')
      expect(await snapshot(dir)).toEqual(before)
      expect(changingCalls(api)).toHaveLength(calls)
      expectWebhookAndSecret(api, url)
    },
  )

  it('next-app: the starter config gains the plugin, keeping the rest', async () => {
    api = await startProjectApi()
    const dir = await fixtureFiles('next-app')
    const result = await imageInvalidate(dir, ['init', '--yes'])
    expect(result.code, result.output).toBe(0)
    expect(await readFile(path.join(dir, 'next.config.mjs'), 'utf8')).toBe(
      `import { withImageInvalidate } from 'unplugin-image-invalidate/next';\n/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  reactStrictMode: true,\n}\n\nexport default withImageInvalidate(nextConfig);\n`,
    )
  })

  // An app without next.config (Next.js needs none): init creates one, and the app builds with it.
  it(
    'next-app without a config: the config it creates and the route it writes build with next build, and a second run changes nothing',
    { tags: ['long-build'] },
    async () => {
      api = await startProjectApi()
      fixture = await copyFixtureInRepo('next-app')
      await asBeforeInit(fixture.dir, 'next-app')
      await withoutConfig(fixture.dir, 'next.config.mjs', 'next')
      const first = await imageInvalidate(fixture.dir, ['init', '--yes'])
      expect(first.code, first.output).toBe(0)
      expect(first.stdout).toContain('  create next.config.mjs:\n    + import { withImageInvalidate } from')
      expect(await readFile(fixture.path('next.config.mjs'), 'utf8')).toBe(
        `import { withImageInvalidate } from 'unplugin-image-invalidate/next'\n\n/** @type {import('next').NextConfig} */\nconst nextConfig = {}\n\nexport default withImageInvalidate(nextConfig)\n`,
      )
      expect(await readFile(fixture.path('.gitignore'), 'utf8')).toContain('/public/_image-invalidate.json')
      expect(await readFile(fixture.path('app/api/image-invalidate/route.js'), 'utf8')).toContain('export const POST = createWebhookHandler(')
      expectWebhookAndSecret(api, 'https://site.example.com/api/image-invalidate')

      const before = await snapshot(fixture.dir)
      const second = await imageInvalidate(fixture.dir, ['init', '--yes'])
      expect(second.code, second.output).toBe(0)
      expect(second.stdout).toContain('nothing to change')
      expect(await snapshot(fixture.dir)).toEqual(before)
      expect(api.webhooks).toHaveLength(1)

      const build = await nextBuild(fixture)
      expect(build.code, build.output).toBe(0)
      // The plugin ran in the build (its manifest), and the route is one of the app's.
      expect(JSON.parse(await readFile(fixture.path('public/_image-invalidate.json'), 'utf8'))).toMatchObject({ version: 1 })
      expect(build.output).toMatch(/\/api\/image-invalidate/)
    },
  )

  // create-vite's vanilla template has no vite.config: init creates one (an ES module, as package.json says).
  it('vite-app without a config: the GitHub way (a plain Vite app has no server routes), and the config it creates builds', async () => {
    api = await startProjectApi()
    fixture = await copyFixture('vite-app')
    await asBeforeInit(fixture.dir, 'vite-app')
    await withoutConfig(fixture.dir, 'vite.config.js', 'vite')
    const first = await imageInvalidate(fixture.dir, ['init', '--yes'])
    expect(first.code, first.output).toBe(0)
    expect(await readFile(fixture.path('vite.config.js'), 'utf8')).toBe(
      `import { defineConfig } from 'vite'\nimport imageInvalidate from 'unplugin-image-invalidate/vite'\n\nexport default defineConfig({\n  plugins: [imageInvalidate()],\n})\n`,
    )
    // Outside git, the workflow goes in the app's folder, and init says where it belongs.
    expect(await readFile(fixture.path('.github/workflows/invalidate-images.yml'), 'utf8')).toBe(
      await readFile(path.join(repoRoot, 'examples/github-workflow.yml'), 'utf8'),
    )
    expect(first.stdout).toContain("the workflow goes in this folder; move .github/ to your repository's root")
    // No webhook for this way, and no call that changes anything on Vercel.
    expect(changingCalls(api)).toEqual([])
    const second = await imageInvalidate(fixture.dir, ['init', '--yes'])
    expect(second.stdout).toContain('nothing to change')

    const build = await viteBuild(fixture)
    expect(build.code, build.output).toBe(0)
    expect(build.output).toMatch(/\[image-invalidate\] \d+ images/)
    await stat(fixture.path('dist/_image-invalidate.json'))
  })
})

describe('image-invalidate init --way github in a monorepo', () => {
  /** `mono/` with git at its root, npm workspaces' lock there, and the Vite app in `mono/apps/web`. */
  async function monorepo(): Promise<{ mono: string; app: string }> {
    const mono = await tempDir({ 'package.json': '{ "private": true, "workspaces": ["apps/*"] }\n', 'package-lock.json': '{}\n' })
    const git = await run('git', ['init', '-q'], { cwd: mono })
    expect(git.code, git.output).toBe(0)
    const app = path.join(mono, 'apps/web')
    await cp(path.join(repoRoot, 'fixtures/vite-app'), app, { recursive: true })
    await asBeforeInit(app, 'vite-app')
    return { mono, app }
  }

  it("writes the workflow at the repository's root, its steps in the app's folder, npm ci at the lock; a second run and doctor find it there", async () => {
    api = await startProjectApi()
    const { mono, app } = await monorepo()
    const first = await imageInvalidate(app, ['init', '--yes', '--way', 'github'])
    expect(first.code, first.output).toBe(0)
    expect(existsSync(path.join(app, '.github'))).toBe(false)
    const workflow = await readFile(path.join(mono, '.github/workflows/invalidate-images.yml'), 'utf8')
    // The job's run steps default to the app's folder; npm ci runs where the workspaces' lock is.
    expect(workflow).toContain('    timeout-minutes: 15\n')
    expect(workflow.split('    timeout-minutes: 15\n')[1]).toMatch(/^ {4}# .*\n {4}defaults:\n {6}run:\n {8}working-directory: apps\/web\n {4}steps:\n/)
    expect(workflow).toContain('      - run: npm ci\n        working-directory: .\n')
    expect(workflow).toContain('npx image-invalidate apply --deployment "$DEPLOYMENT_ID"')
    expect(first.stdout).toContain(`the workflow goes to the repository's root, ${mono}, where GitHub reads workflows; its steps run in apps/web`)
    expect(first.stdout).toContain('  create ../../.github/workflows/invalidate-images.yml')

    const before = await snapshot(mono)
    const second = await imageInvalidate(app, ['init', '--yes', '--way', 'github'])
    expect(second.code, second.output).toBe(0)
    expect(second.stdout).toContain('../../.github/workflows/invalidate-images.yml is there already: kept as it is')
    expect(second.stdout).toContain('nothing to change')
    expect(await snapshot(mono)).toEqual(before)

    // Production on a closed loopback port: only the way apply runs is the point here.
    const doctor = await imageInvalidate(app, ['doctor', '--json', '--url', 'http://127.0.0.1:1'])
    const checks = (JSON.parse(doctor.stdout) as DoctorReport).checks
    expect(checks.find((check) => check.name === 'webhook-route')).toEqual({
      name: 'webhook-route',
      status: 'skip',
      detail: 'apply runs from ../../.github/workflows/invalidate-images.yml',
    })
  })

  it("an app with its own lock: setup-node caches by it and npm ci runs in the app's folder", async () => {
    api = await startProjectApi()
    const { mono, app } = await monorepo()
    await rm(path.join(mono, 'package-lock.json'))
    await writeFile(path.join(app, 'package-lock.json'), '{}\n')
    const result = await imageInvalidate(app, ['init', '--yes', '--way', 'github'])
    expect(result.code, result.output).toBe(0)
    const workflow = await readFile(path.join(mono, '.github/workflows/invalidate-images.yml'), 'utf8')
    expect(workflow).toContain('          cache: npm\n          cache-dependency-path: apps/web/package-lock.json\n')
    expect(workflow).toContain('      - run: npm ci\n      - name:')
    expect(workflow).toContain('        working-directory: apps/web\n')
  })
})

/**
 * `init` in a terminal: a pseudo-terminal of util-linux's `script` (160 columns: a terminal of no width
 * wraps every character), each answer typed once its question is on the screen.
 */
function initInTerminal(dir: string, answers: Array<[question: string, keys: string]>): Promise<{ code: number | null; screen: string }> {
  const command = `stty cols 160 rows 50; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist/cli.js'))} init`
  const child = spawnTracked('script', ['-qfec', command, '/dev/null'], {
    cwd: dir,
    env: cleanEnv({ VERCEL_TOKEN: TOKEN, IMAGE_INVALIDATE_API_URL: api!.origin, TERM: 'xterm' }),
  })
  let screen = ''
  let seenUpTo = 0
  const onOutput = (chunk: Buffer) => {
    screen += chunk.toString('utf8')
    const next = answers[0]
    const at = next ? screen.indexOf(next[0], seenUpTo) : -1
    if (!next || at < 0) return
    answers.shift()
    seenUpTo = at + next[0].length
    child.stdin.write(next[1])
  }
  child.stdout.on('data', onOutput)
  child.stderr.on('data', onOutput)
  // A question that never comes (its wording changed) ends the run rather than the test's whole timeout.
  const timer = setTimeout(() => killGroup(child.pid!), 60_000)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, screen })
    }),
  )
}

describe('image-invalidate init in a terminal', () => {
  it.each([
    ['Enter (the default, no)', '\r', undefined],
    ['y', 'y', 'sensitive'],
  ] as const)('asks the way, whether to store the token (%s), and before changing anything', async (_answer, tokenKeys, stored) => {
    api = await startProjectApi()
    const dir = await fixtureFiles('astro-app')
    const { code, screen } = await initInTerminal(dir, [
      ['How should image-invalidate apply run at each production flip?', '\r'],
      ['Store your token on the project as a sensitive variable?', tokenKeys],
      ['Make these changes?', '\r'],
    ])
    expect(code, screen).toBe(0)
    expect(screen).toContain('init will:')
    expectWebhookAndSecret(api, 'https://site.example.com/api/image-invalidate', stored === undefined ? [] : [TOKEN])
    expect(api.variables.find((variable) => variable.key === 'VERCEL_TOKEN')?.type).toBe(stored)
    expect(screen).not.toContain(TOKEN)
  })
})

describe('image-invalidate init, what it refuses', () => {
  it.each(['init', 'doctor'] as const)('%s --help prints its help and exits 0', { tags: ['floor'] }, async (command) => {
    const dir = await tempDir()
    api = await startProjectApi()
    const result = await imageInvalidate(dir, [command, '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${HELP[command]}\n`)
  })

  it('--dry-run prints every change (the diff, the files, the API calls) and makes none', { tags: ['floor'] }, async () => {
    api = await startProjectApi()
    const dir = await fixtureFiles('astro-app')
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init', '--dry-run'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('+   integrations: [imageInvalidate()],')
    expect(result.stdout).toContain('create src/pages/api/image-invalidate.js')
    expect(result.stdout).toContain('call POST /v1/webhooks {"url":"https://site.example.com/api/image-invalidate"')
    expect(result.stdout).toContain(`call POST /v10/projects/prj_1/env?upsert=true {"key":"${SECRET_VARIABLE}"`)
    expect(result.stdout).toContain('dry run: nothing was changed')
    expect(await snapshot(dir)).toEqual(before)
    expect(changingCalls(api)).toEqual([])
  })

  it('a fresh Vite app with no config: --dry-run shows the vite.config.js it would create, and creates nothing', { tags: ['floor'] }, async () => {
    api = await startProjectApi()
    const dir = await fixtureFiles('vite-app')
    await withoutConfig(dir, 'vite.config.js', 'vite')
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init', '--dry-run'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain(
      "  create vite.config.js:\n    + import { defineConfig } from 'vite'\n    + import imageInvalidate from 'unplugin-image-invalidate/vite'\n",
    )
    expect(result.stdout).toContain('dry run: nothing was changed')
    expect(await snapshot(dir)).toEqual(before)
  })

  it('in a shell that is not a terminal, without --yes: exit 2, one sentence, nothing read or changed', { tags: ['floor'] }, async () => {
    api = await startProjectApi()
    const dir = await fixtureFiles('astro-app')
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      'image-invalidate: init asks before it changes anything, and this shell is not a terminal: pass --yes to take the defaults (or --dry-run to see them)\n',
    )
    expect(await snapshot(dir)).toEqual(before)
    expect(api.calls).toEqual([])
  })

  it.each([
    ['no token', { VERCEL_TOKEN: '' }, [], 2, /no Vercel token: set VERCEL_TOKEN/, []],
    ['a token without access', { VERCEL_TOKEN: 'tok_other_0000' }, [], 1, /may not read this project .*\(403\)/, []],
    ['a project that does not exist', {}, ['--project', 'prj_gone'], 1, /found no such project .*\(project "prj_gone"\)/, []],
    // A flag the command line cannot parse gets its pointer to the command's --help, as every command's do.
    [
      'a --way that is not one',
      {},
      ['--way', 'email'],
      2,
      /image-invalidate: init --way "email" is not one of webhook, github, ci/,
      ["Run 'image-invalidate init --help' for usage."],
    ],
  ] as const)('%s: a sentence naming it, exit 2 (usage) or 1, nothing changed', async (_name, env, args, code, message, after) => {
    api = await startProjectApi()
    const dir = await fixtureFiles('nuxt-app')
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init', '--yes', ...args], env)
    expect(result.code, result.output).toBe(code)
    expect(result.stderr).toMatch(message)
    const [sentence, ...rest] = result.stderr.trim().split('\n')
    expect(sentence).toMatch(message)
    expect(rest).toEqual(after)
    expect(result.output).not.toContain('tok_other_0000')
    expect(await snapshot(dir)).toEqual(before)
    expect(changingCalls(api)).toEqual([])
  })

  it('a config of a shape it cannot edit safely is left alone, with the lines to add; nothing else is done', async () => {
    api = await startProjectApi()
    const dir = await fixtureFiles('next-app')
    await rm(path.join(dir, 'next.config.mjs'))
    await writeFile(path.join(dir, 'next.config.js'), `module.exports = { reactStrictMode: true }\n`)
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init', '--yes'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('next.config.js has a shape init cannot edit safely')
    expect(result.stderr).toContain("import { withImageInvalidate } from 'unplugin-image-invalidate/next'")
    expect(await snapshot(dir)).toEqual(before)
    expect(api.calls).toEqual([])
  })

  it('a folder with no framework: exit 1, naming the folder', { tags: ['floor'] }, async () => {
    api = await startProjectApi()
    const dir = await tempDir({ 'README.md': 'notes\n' })
    const result = await imageInvalidate(dir, ['init', '--yes'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`no Next.js, Astro, Nuxt, SvelteKit, React Router or Vite app in ${dir}`)
  })

  it('a Hobby team (account webhooks refused, 403): says so and offers the GitHub way; nothing changed', async () => {
    api = await startProjectApi({ accountWebhooks: false })
    const dir = await fixtureFiles('sveltekit-app')
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init', '--yes'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/account webhooks need a Pro or Enterprise team.*image-invalidate init --way github/)
    expect(await snapshot(dir)).toEqual(before)
    expect(api.webhooks).toEqual([])
    expect(api.variables).toEqual([])
  })

  it('storing the secret fails after the webhook was created: the webhook is deleted again, no file is changed', async () => {
    api = await startProjectApi()
    api.refuseNext('POST /v10/projects/{idOrName}/env', 500)
    const dir = await fixtureFiles('sveltekit-app')
    const before = await snapshot(dir)
    const result = await imageInvalidate(dir, ['init', '--yes'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/deleted the webhook account_hook_\w+ again/)
    expect(api.calls.filter((call) => call.method === 'POST' && call.path === '/v1/webhooks')).toHaveLength(1)
    expect(api.webhooks).toEqual([])
    expect(await snapshot(dir)).toEqual(before)
  })

  it('a webhook without the rolling-release events is replaced: the new one gets the secret, then the old one goes', async () => {
    api = await startProjectApi()
    const dir = await fixtureFiles('astro-app')
    api.webhooks.push({
      id: 'account_hook_old',
      url: 'https://site.example.com/api/image-invalidate',
      events: ['deployment.promoted'],
      projectIds: ['prj_1'],
      secret: 'old-secret',
      createdAt: Date.now(),
    })
    const result = await imageInvalidate(dir, ['init', '--yes'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('deleted the webhook account_hook_old it replaces (without deployment.rollback')
    expectWebhookAndSecret(api, 'https://site.example.com/api/image-invalidate')
    expect(api.webhooks[0]!.id).not.toBe('account_hook_old')
  })
})
