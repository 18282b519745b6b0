// @module-tag once
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers/fixture.js'

// The folder layers of CONTRIBUTING.md are kept by `layerRules` in eslint.config.js. These snippets are linted
// with the repository's own config as if they were files of src/ (nothing is written): an import pointing up
// must fail, one pointing down must pass. The layer rule reads the syntax only, so the snippets are parsed
// without the type information `eslint .` builds for the other rules: a file that is not on disk has none
// (the project service refuses it), and building it for the whole project cost 15 to 30 s here. Tagged
// `once`: the answer is the config's, not the Node's.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
})

async function lintAs(filePath: string, code: string): Promise<ESLint.LintResult> {
  const [result] = await eslint.lintText(code, { filePath })
  return result!
}

/** What the lint says of the snippet: the layer rule's messages, and a parsing error if there were one. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const { messages } = await lintAs(filePath, code)
  return messages.map((message) => `${message.ruleId}: ${message.message}`)
}

describe('the layer rules of eslint.config.js', () => {
  it('fail an import that points up: core importing from apply, plugin from apply, vercel from plugin, next-image-cache from plugin', async () => {
    expect(await layerErrors('src/core/x.ts', "import { apply } from '../apply/apply.js'\nexport const run = apply\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*src\/core\/ is pure/),
    ])
    // Phase 1 never talks to the Vercel API, nor runs phase 2.
    expect(await layerErrors('src/plugin/x.ts', "import { apply } from '../apply/apply.js'\nexport const run = apply\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*src\/plugin\/ may import only from core\/, shared\/, next-image-cache\/ and types\.ts/),
    ])
    expect(await layerErrors('src/plugin/x.ts', "import { VercelClient } from '../vercel/client.js'\nexport const Client = VercelClient\n")).toHaveLength(1)
    expect(
      await layerErrors('src/vercel/x.ts', "import { resolveBuildOptions } from '../plugin/options.js'\nexport const resolve = resolveBuildOptions\n"),
    ).toHaveLength(1)
    expect(
      await layerErrors(
        'src/next-image-cache/x.ts',
        "import { resolveBuildOptions } from '../plugin/options.js'\nexport const resolve = resolveBuildOptions\n",
      ),
    ).toHaveLength(1)
  })

  it('pass an import that points down, and the public types from anywhere', async () => {
    const downToCore =
      "import { batchCount } from '../core/plan.js'\nimport type { Options } from '../types.js'\nexport const count = batchCount\nexport type O = Options\n"
    for (const filePath of ['src/plugin/x.ts', 'src/apply/x.ts', 'src/vercel/x.ts', 'src/shared/x.ts']) {
      expect(await layerErrors(filePath, downToCore), filePath).toEqual([])
    }
    expect(await layerErrors('src/apply/x.ts', "import { VercelClient } from '../vercel/client.js'\nexport const Client = VercelClient\n")).toEqual([])
  })
})
