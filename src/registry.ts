import { UserInputError } from './errors.js';

/** Anything a registry holds: it is known by a unique id. */
export interface RegistryEntry {
  readonly id: string;
}

/**
 * A read-only lookup of plugin modules (corruptions, attacks, noise models) by id. Each module
 * exports one entry; a registry is built once from an explicit list, so what is registered is
 * visible in one place and nothing changes it afterwards. `with` makes an extended copy for
 * users who add their own entries.
 */
export class Registry<E extends RegistryEntry> {
  private readonly byId: ReadonlyMap<string, E>;

  constructor(
    /** What the entries are, for error messages: "corruption", "attack", … */
    readonly kind: string,
    entries: readonly E[],
  ) {
    const byId = new Map<string, E>();
    for (const entry of entries) {
      if (byId.has(entry.id)) throw new Error(`${kind} '${entry.id}' is registered twice`);
      byId.set(entry.id, entry);
    }
    this.byId = byId;
  }

  /** The entry with this id; an unknown id is a user error that lists the known ones. */
  get(id: string): E {
    const entry = this.byId.get(id);
    if (!entry) throw new UserInputError(`unknown ${this.kind} '${id}' (known: ${this.ids().join(', ')})`);
    return entry;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  list(): E[] {
    return [...this.byId.values()];
  }

  /** A new registry with these entries added (ids must stay unique). */
  with(...entries: readonly E[]): Registry<E> {
    return new Registry(this.kind, [...this.byId.values(), ...entries]);
  }
}
