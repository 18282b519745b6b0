import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { recordOf } from '../core/json.js'
import { PACKAGE_NAME } from '../shared/package.js'
import { SetupError } from './errors.js'

export type FrameworkName = 'next' | 'astro' | 'nuxt' | 'sveltekit' | 'react-router' | 'vite'

/** What `init` and `doctor` need to know of a framework: where its config is, and how the plugin goes in. */
export interface Framework {
  name: FrameworkName
  label: string
  /** The package whose presence in package.json names the framework. */
  dependency: string
  /** A file whose presence names it when package.json does not (a monorepo hoisting its dependencies). */
  markers: readonly string[]
  /** The config the plugin goes into, in the order the framework looks for them. */
  configs: readonly string[]
  /** The entry of this package its config imports. */
  entry: string
  /** What to add by hand when the config cannot be edited safely. */
  manualLines: string
  /** Where the manifest lands in a source folder, which `.gitignore` must then list; none for build outputs. */
  gitignore?: string
}

const VITE_CONFIGS = ['vite.config.ts', 'vite.config.js', 'vite.config.mts', 'vite.config.mjs']
const VITE_LINES = `import imageInvalidate from '${PACKAGE_NAME}/vite'\n// and in defineConfig: plugins: [/* yours, */ imageInvalidate()]`

/** In the order they are detected: a SvelteKit or React Router app is a Vite app too. */
export const FRAMEWORKS: readonly Framework[] = [
  {
    name: 'next',
    label: 'Next.js',
    dependency: 'next',
    markers: ['next.config.ts', 'next.config.mjs', 'next.config.js', 'next.config.mts', 'next.config.cjs'],
    configs: ['next.config.ts', 'next.config.mjs', 'next.config.js', 'next.config.mts', 'next.config.cjs'],
    entry: `${PACKAGE_NAME}/next`,
    manualLines: `import { withImageInvalidate } from '${PACKAGE_NAME}/next'\n// and: export default withImageInvalidate(/* your config */)`,
    gitignore: 'public/_image-invalidate.json',
  },
  {
    name: 'astro',
    label: 'Astro',
    dependency: 'astro',
    markers: ['astro.config.mjs', 'astro.config.ts', 'astro.config.js', 'astro.config.mts'],
    configs: ['astro.config.mjs', 'astro.config.ts', 'astro.config.js', 'astro.config.mts'],
    entry: `${PACKAGE_NAME}/astro`,
    manualLines: `import imageInvalidate from '${PACKAGE_NAME}/astro'\n// and in defineConfig: integrations: [/* yours, */ imageInvalidate()]`,
  },
  {
    name: 'nuxt',
    label: 'Nuxt',
    dependency: 'nuxt',
    markers: ['nuxt.config.ts', 'nuxt.config.js', 'nuxt.config.mjs'],
    configs: ['nuxt.config.ts', 'nuxt.config.js', 'nuxt.config.mjs'],
    entry: `${PACKAGE_NAME}/nuxt`,
    manualLines: `// in defineNuxtConfig: modules: [/* yours, */ '${PACKAGE_NAME}/nuxt']`,
  },
  {
    name: 'sveltekit',
    label: 'SvelteKit',
    dependency: '@sveltejs/kit',
    markers: ['svelte.config.js', 'svelte.config.mjs', 'svelte.config.ts'],
    configs: VITE_CONFIGS,
    entry: `${PACKAGE_NAME}/vite`,
    manualLines: VITE_LINES,
  },
  {
    name: 'react-router',
    label: 'React Router',
    dependency: '@react-router/dev',
    markers: ['react-router.config.ts', 'react-router.config.js'],
    configs: VITE_CONFIGS,
    entry: `${PACKAGE_NAME}/vite`,
    manualLines: VITE_LINES,
  },
  {
    name: 'vite',
    label: 'Vite',
    dependency: 'vite',
    markers: VITE_CONFIGS,
    configs: VITE_CONFIGS,
    entry: `${PACKAGE_NAME}/vite`,
    manualLines: VITE_LINES,
  },
]

/** The framework of the app at `root`, and its config file when it has one. */
export interface DetectedApp {
  framework: Framework
  /** Absolute path of the config the plugin goes into; undefined when the app has none. */
  configFile: string | undefined
  /** The app is written in TypeScript (a tsconfig.json): new files are `.ts`. */
  typescript: boolean
  /** package.json says `"type": "module"`: a new `.js` file is an ES module. */
  esm: boolean
  /** The app's dependencies and devDependencies, by name. */
  dependencies: ReadonlySet<string>
}

/**
 * The framework of the app at `root`: the first of `FRAMEWORKS` that package.json depends on, else the
 * first whose config file is there. A folder with neither is an error that says where to run `init`.
 */
export function detectApp(root: string): DetectedApp {
  const { dependencies, esm } = readPackage(root)
  const framework =
    FRAMEWORKS.find((candidate) => dependencies.has(candidate.dependency)) ??
    FRAMEWORKS.find((candidate) => candidate.markers.some((file) => existsSync(path.join(root, file))))
  if (!framework) {
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_NO_FRAMEWORK',
      `no Next.js, Astro, Nuxt, SvelteKit, React Router or Vite app in ${root} (no such dependency in package.json, no config file): run image-invalidate in the app's own folder`,
    )
  }
  const config = framework.configs.find((file) => existsSync(path.join(root, file)))
  return {
    framework,
    configFile: config && path.join(root, config),
    typescript: existsSync(path.join(root, 'tsconfig.json')),
    esm,
    dependencies,
  }
}

function readPackage(root: string): { dependencies: Set<string>; esm: boolean } {
  let data: Record<string, unknown> | undefined
  try {
    data = recordOf(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')))
  } catch {
    return { dependencies: new Set(), esm: false }
  }
  const dependencies = new Set([...Object.keys(recordOf(data?.dependencies) ?? {}), ...Object.keys(recordOf(data?.devDependencies) ?? {})])
  return { dependencies, esm: data?.type === 'module' }
}
