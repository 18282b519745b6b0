import { confirm, isCancel, select } from '@clack/prompts'
import { SetupError } from './errors.js'
import type { InitPrompts, Way } from './init.js'

const WAY_CHOICES: Record<Way, { label: string; hint: string }> = {
  webhook: { label: 'A webhook route in the app', hint: 'every flip, Instant Rollbacks included; Pro or Enterprise team' },
  github: { label: 'A GitHub workflow', hint: 'promotions through the Git integration; no Instant Rollbacks' },
  ci: { label: 'A step in your own CI', hint: 'your CI deploys with vercel deploy --prebuilt --prod' },
}

/** The questions of `init`, asked with @clack/prompts (as Astro's and Svelte's command lines ask theirs). */
export const terminalPrompts: InitPrompts = {
  async way(initial, available) {
    const answer = await select({
      message: 'How should image-invalidate apply run at each production flip?',
      options: available.map((way) => ({ value: way, ...WAY_CHOICES[way] })),
      initialValue: initial,
    })
    return answered<Way>(answer)
  },
  async confirm(message, initial) {
    return answered<boolean>(await confirm({ message, initialValue: initial }))
  },
}

function answered<T>(answer: T | symbol): T {
  if (isCancel(answer)) throw new SetupError('IMAGE_INVALIDATE_SETUP_CANCELLED', 'init was cancelled: nothing was changed')
  // isCancel narrows to its own symbol type, not to `symbol`.
  return answer as T
}
