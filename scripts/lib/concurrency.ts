// Work on items a few at a time: as many streams as the machine or the server allows, never one
// per item.

/** fn for every item, at most `atOnce` at a time; each outcome in the items' order, as Promise.allSettled. */
export async function settledWithin<T, R>(
  items: T[],
  atOnce: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++)
      results[i] = await fn(items[i]).then(
        value => ({ status: 'fulfilled' as const, value }),
        reason => ({ status: 'rejected' as const, reason }),
      )
  }
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker))
  return results
}

/**
 * fn for every item, at most `atOnce` at a time, until one fails: then no other item starts, the
 * ones running finish, and the first failure is thrown. Nothing is still at work when this
 * returns or throws, so an undo that follows a failure is never overtaken by a straggler.
 */
export async function eachWithin<T>(items: T[], atOnce: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async () => {
    for (let i = next++; i < items.length && !failure; i = next++)
      await fn(items[i]).catch(error => {
        failure ??= { error }
      })
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, items.length)) }, worker))
  if (failure) throw (failure as { error: unknown }).error
}
