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
