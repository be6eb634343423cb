// uvu's suite, with hooks that say why they failed: uvu's runner returns from its finally block,
// so an error thrown by a before or after hook is dropped and the suite reads "(0 / N)" with no
// reason. Every integration test file takes its suite from here.
import { type Callback, suite as uvuSuite } from 'uvu'

type Context = Record<string, unknown>

export function suite(name: string, state?: Context) {
  const s = uvuSuite<Context>(name, state)
  const loud =
    (kind: string, fn: Callback<Context>): Callback<Context> =>
    async context => {
      try {
        await fn(context)
      } catch (error) {
        process.stderr.write(`\n${name}: its ${kind} hook failed: ${(error as Error).stack ?? String(error)}\n`)
        throw error
      }
    }
  const { before, after } = s
  s.before = Object.assign((fn: Callback<Context>) => before(loud('before', fn)), {
    each: (fn: Callback<Context>) => before.each(loud('before.each', fn)),
  })
  s.after = Object.assign((fn: Callback<Context>) => after(loud('after', fn)), {
    each: (fn: Callback<Context>) => after.each(loud('after.each', fn)),
  })
  return s
}
