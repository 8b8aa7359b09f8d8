/**
 * A gauge without labels whose value may be unknown. prom-client's reset() puts such a gauge back to
 * 0, which would show "unknown" as a fresh 0; this one exports no sample at all when the value is null.
 */
import { Gauge, type Registry } from 'prom-client';

export function registerOptionalGauge(registry: Registry, name: string, help: string, read: () => number | null): void {
  let value: number | null = null;
  const gauge = new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      value = read();
      this.set(value ?? 0);
    },
  });
  const get = gauge.get.bind(gauge);
  gauge.get = async () => {
    const metric = await get();
    return value === null ? { ...metric, values: [] } : metric;
  };
}
