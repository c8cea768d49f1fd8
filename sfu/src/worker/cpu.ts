// This process's CPU use as a fraction of one core, sampled periodically (placement weighs it).
export class CpuSampler {
  private value = 0;
  private sample = { at: performance.now(), usage: process.cpuUsage() };
  private readonly timer: NodeJS.Timeout;

  constructor(periodMs: number) {
    this.timer = setInterval(() => this.take(), periodMs);
    this.timer.unref();
  }

  get load(): number {
    return this.value;
  }

  /**
   * Starts the next window now and forgets the last reading: called once the worker serves, so that its
   * start (loading, first compilations) is not reported as load. A fresh worker read about 15 % of a core
   * for its first two seconds while idle, enough to look busier than a worker carrying a small meeting.
   */
  restart(): void {
    this.value = 0;
    this.sample = { at: performance.now(), usage: process.cpuUsage() };
    this.timer.refresh();
  }

  private take(): void {
    const now = performance.now();
    const usage = process.cpuUsage();
    const busyUs = usage.user - this.sample.usage.user + (usage.system - this.sample.usage.system);
    const wallUs = (now - this.sample.at) * 1000;
    if (wallUs > 0) this.value = Math.min(1, Math.max(0, busyUs / wallUs));
    this.sample = { at: now, usage };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
