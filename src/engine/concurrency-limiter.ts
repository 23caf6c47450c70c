/**
 * Returns a function that runs tasks with at most `limit` in flight, starting
 * them in the order they were handed in. A task's failure does not stop the
 * queue; each caller gets its own task's outcome.
 */
export function concurrencyLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!(limit >= 1)) throw new RangeError(`concurrency limit must be at least 1, got ${limit}`);
  let running = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    running--;
    queue.shift()?.();
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        running++;
        task().then(resolve, reject).finally(release);
      };
      if (running < limit) start();
      else queue.push(start);
    });
}
