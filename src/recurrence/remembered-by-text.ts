/**
 * A pure parse of a schedule text (a cron pattern, an RRULE), remembered by the text: the jobs of a
 * folder share a few patterns (10,000 job files on one start: ~2,400 cron patterns, one RRULE text),
 * and node-cron's and rrule's parsers are most of a schedule check. At most `max` texts are kept, then
 * all are forgotten at once (a daemon whose files change for months keeps no more). What it gives is
 * shared: callers never change it.
 */
export function rememberedByText<T>(parse: (text: string) => T, max = 5000): (text: string) => T {
  const known = new Map<string, T>();
  return (text) => {
    let value = known.get(text);
    if (value === undefined) {
      if (known.size >= max) known.clear();
      value = parse(text);
      known.set(text, value);
    }
    return value;
  };
}
