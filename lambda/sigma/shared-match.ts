// Work shared by the rules of one evaluation plan (the rules of a `data.type` bucket, or the unindexed rules):
// every plain-OR item of every rule (equality, contains/startswith/endswith, wildcard patterns, cidr) is
// registered in the group of its field, and a group decides all its items for an event in one pass over the
// field's values. Equality values are one hash lookup per value, contains/startswith/endswith literals one
// Aho-Corasick scan, identical patterns and networks are tested once, an address is parsed once.
//
// A rule whose condition (specialised for the bucket) is a single shared item is found from its group's result
// instead of being run; the other rules keep their compiled conditions, whose shared items read the group's
// result. The per-rule closures stay the reference (explain, `index: false`) and the fallback: shared work that
// throws on an event raises SharedWorkFailed, and the rule set then evaluates that event rule by rule.

import type { CachedField, FieldValueCache } from './fieldpath';
import type { EventPredicate } from './matcher';
import { Address, foldedValues, inNetwork, Network, ShareablePredicate, ShareableTest, SharedStringTest, stringForm } from './modifiers';
import type { NormalizedEvent } from './types';

/** Shared work threw on an event: the caller evaluates that event rule by rule instead. */
export class SharedWorkFailed extends Error {
  constructor(readonly original: unknown) {
    super('shared evaluation failed');
  }
}

/** Distinct literals from which a field's literals are found by one automaton scan rather than one search each. */
export const AUTOMATON_MIN_LITERALS = 4;
/** Above this many transition cells (states × character classes), literals are searched one by one. */
const AUTOMATON_MAX_CELLS = 1_000_000;

/**
 * Aho-Corasick over UTF-16 code units (the unit `includes`/`startsWith`/`endsWith` compare), compiled to a full
 * transition table over the characters the literals use (every other character is one class). `scan` reports
 * every occurrence of every literal by its end offset.
 */
export class LiteralAutomaton {
  private readonly asciiClass = new Int32Array(128);
  private readonly otherClass = new Map<number, number>();
  private readonly width: number;
  private readonly delta: Int32Array;
  /** Literals ending at state s (own and through failure links): outList[outStart[s] .. outStart[s + 1]). */
  private readonly outStart: Int32Array;
  private readonly outList: Int32Array;

  /** Null when the table would be too large (the caller then searches literals one by one). */
  static build(literals: readonly string[]): LiteralAutomaton | null {
    const classes = new Set<number>();
    let states = 1;
    for (const l of literals) {
      states += l.length;
      for (let i = 0; i < l.length; i++) classes.add(l.charCodeAt(i));
    }
    if (states * (classes.size + 1) > AUTOMATON_MAX_CELLS) return null;
    return new LiteralAutomaton(literals);
  }

  private constructor(literals: readonly string[]) {
    let width = 1;
    const classOf = (c: number): number => {
      if (c < 128) {
        if (this.asciiClass[c] === 0) this.asciiClass[c] = width++;
        return this.asciiClass[c];
      }
      let k = this.otherClass.get(c);
      if (k === undefined) this.otherClass.set(c, (k = width++));
      return k;
    };
    // The trie.
    const next: Map<number, number>[] = [new Map()];
    const own: number[][] = [[]];
    literals.forEach((literal, index) => {
      let s = 0;
      for (let i = 0; i < literal.length; i++) {
        const k = classOf(literal.charCodeAt(i));
        let t = next[s].get(k);
        if (t === undefined) {
          t = next.length;
          next.push(new Map());
          own.push([]);
          next[s].set(k, t);
        }
        s = t;
      }
      own[s].push(index);
    });
    this.width = width;
    const n = next.length;
    const delta = new Int32Array(n * width);
    const fail = new Int32Array(n);
    const outputs: number[][] = own.map((o) => o.slice());
    // Breadth first: a state's failure target is complete before the state itself.
    const queue: number[] = [];
    for (const [k, t] of next[0]) {
      delta[k] = t;
      queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      for (const o of outputs[fail[s]]) outputs[s].push(o);
      for (let k = 0; k < width; k++) {
        const t = next[s].get(k);
        if (t === undefined) {
          delta[s * width + k] = delta[fail[s] * width + k];
        } else {
          delta[s * width + k] = t;
          fail[t] = delta[fail[s] * width + k];
          queue.push(t);
        }
      }
    }
    this.delta = delta;
    this.outStart = new Int32Array(n + 1);
    const flat: number[] = [];
    for (let s = 0; s < n; s++) {
      this.outStart[s] = flat.length;
      for (const o of outputs[s]) flat.push(o);
    }
    this.outStart[n] = flat.length;
    this.outList = Int32Array.from(flat);
  }

  /** Calls `found(literal index, end offset)` for every occurrence in `text`. */
  scan(text: string, found: (literal: number, end: number) => void): void {
    const { asciiClass, otherClass, width, delta, outStart, outList } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const k = c < 128 ? asciiClass[c] : (otherClass.get(c) ?? 0);
      s = delta[s * width + k];
      const end = outStart[s + 1];
      for (let o = outStart[s]; o < end; o++) found(outList[o], i + 1);
    }
  }
}

/** One literal of a string group and the items it satisfies in each role. */
interface LiteralRoles {
  text: string;
  contains: number[];
  prefix: number[];
  suffix: number[];
}

/** A rule of a plan and its (specialised) condition; for a rule a group decides, the item's own predicate. */
export interface PlanEntry<R> {
  rule: R;
  position: number;
  test: EventPredicate;
}

/** The items of one field (one kind of preparation) in a plan, decided together once per event. */
export class FieldGroup<R> {
  private epoch = -1;
  /** Items registered (each item of each rule once). */
  itemCount = 0;
  private hits = new Uint8Array(0);
  /** Items that hold for the current event, in the order found: hitList[0 .. hitCount). */
  readonly hitList: number[] = [];
  hitCount = 0;
  /** Rules whose whole (specialised) condition is the item, by item id. */
  readonly emitters: PlanEntry<R>[][] = [];
  private readonly exact = new Map<string, number[]>();
  private readonly literalByKey = new Map<string, LiteralRoles>();
  private literals: LiteralRoles[] = [];
  private automaton: LiteralAutomaton | null = null;
  private readonly patterns = new Map<string, { test: SharedStringTest; ids: number[] }>();
  private patternList: { test: SharedStringTest; ids: number[] }[] = [];
  private readonly networks = new Map<string, { net: Network; ids: number[] }>();
  private networkList: { net: Network; ids: number[] }[] = [];
  private parse: ((text: string) => Address | undefined) | null = null;
  /** Length of the value being scanned (for suffix roles). */
  private scanLength = 0;
  private readonly onLiteral = (index: number, end: number): void => {
    const roles = this.literals[index];
    this.mark(roles.contains);
    if (end === roles.text.length) this.mark(roles.prefix);
    if (end === this.scanLength) this.mark(roles.suffix);
  };

  constructor(
    private readonly cache: FieldValueCache,
    readonly entry: CachedField,
    readonly kind: 'folded' | 'raw' | 'cidr',
  ) {}

  /** Registers an item; returns its id. */
  add(test: ShareableTest): number {
    const id = this.itemCount++;
    this.emitters.push([]);
    if (test.kind === 'cidr') {
      for (const net of test.networks) {
        const key = net.kind === 'ipv4' ? `4:${net.base}/${net.mask}` : `6:${net.range[0].toNormalizedString()}/${net.range[1]}`;
        let slot = this.networks.get(key);
        if (!slot) this.networks.set(key, (slot = { net, ids: [] }));
        slot.ids.push(id);
        // Both parsers agree on what IPv4 networks hold; IPv6 networks need the full one.
        if (net.kind === 'ipv6' || this.parse === null) this.parse = test.parse;
      }
      return id;
    }
    for (const value of test.exact) {
      const ids = this.exact.get(value);
      if (ids) ids.push(id);
      else this.exact.set(value, [id]);
    }
    for (const t of test.tests) {
      const role = t.kind === 'prefix' ? 'prefix' : t.kind === 'suffix' ? 'suffix' : t.kind === 'contains' ? 'contains' : null;
      if (role !== null && t.literal) {
        let roles = this.literalByKey.get(t.literal);
        if (!roles) this.literalByKey.set(t.literal, (roles = { text: t.literal, contains: [], prefix: [], suffix: [] }));
        roles[role].push(id);
        continue;
      }
      const key = t.pattern ?? `#${this.patterns.size}`;
      let slot = this.patterns.get(key);
      if (!slot) this.patterns.set(key, (slot = { test: t, ids: [] }));
      slot.ids.push(id);
    }
    return id;
  }

  /** After the last `add`; `automatonMinLiterals` distinct literals or more are found by one automaton scan. */
  finalize(automatonMinLiterals: number): void {
    this.hits = new Uint8Array(this.itemCount);
    this.literals = [...this.literalByKey.values()];
    this.patternList = [...this.patterns.values()];
    this.networkList = [...this.networks.values()];
    if (this.literals.length >= automatonMinLiterals) this.automaton = LiteralAutomaton.build(this.literals.map((l) => l.text));
  }

  /** Whether item `id` holds for `event` (the cache's current event). */
  holds(event: NormalizedEvent, id: number): boolean {
    if (this.epoch !== this.cache.epoch) this.evaluate(event);
    return this.hits[id] === 1;
  }

  /** Decides every item of the group for the cache's current event; throws SharedWorkFailed. */
  evaluate(event: NormalizedEvent): void {
    if (this.epoch === this.cache.epoch) return;
    const hitList = this.hitList;
    for (let i = 0; i < this.hitCount; i++) this.hits[hitList[i]] = 0;
    this.hitCount = 0;
    try {
      const e = this.cache.read(this.entry, event);
      if (this.kind === 'cidr') this.evaluateNetworks(e);
      else this.evaluateStrings(e, this.kind === 'folded' ? foldedValues(e, this.cache.epoch) : null);
    } catch (error) {
      throw new SharedWorkFailed(error);
    }
    // Marked decided only once complete.
    this.epoch = this.cache.epoch;
  }

  private evaluateStrings(e: CachedField, folded: (string | undefined)[] | null): void {
    const { exact, literals, automaton, patternList } = this;
    for (let i = 0; i < e.count; i++) {
      const p = folded === null ? stringForm(e.values[i]) : folded[i];
      if (p === undefined) continue;
      if (exact.size > 0) {
        const ids = exact.get(p);
        if (ids !== undefined) this.mark(ids);
      }
      if (automaton !== null) {
        this.scanLength = p.length;
        automaton.scan(p, this.onLiteral);
      } else {
        for (let l = 0; l < literals.length; l++) {
          const roles = literals[l];
          const text = roles.text;
          if (roles.contains.length > 0 && p.includes(text)) this.mark(roles.contains);
          if (roles.prefix.length > 0 && p.startsWith(text)) this.mark(roles.prefix);
          if (roles.suffix.length > 0 && p.endsWith(text)) this.mark(roles.suffix);
        }
      }
      for (let t = 0; t < patternList.length; t++) if (patternList[t].test(p)) this.mark(patternList[t].ids);
    }
  }

  private evaluateNetworks(e: CachedField): void {
    const parse = this.parse!;
    const networks = this.networkList;
    for (let i = 0; i < e.count; i++) {
      const v = e.values[i];
      if (typeof v !== 'string') continue;
      const addr = parse(v);
      if (addr === undefined) continue;
      for (let n = 0; n < networks.length; n++) if (inNetwork(addr, networks[n].net)) this.mark(networks[n].ids);
    }
  }

  private mark(ids: readonly number[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (this.hits[id] === 0) {
        this.hits[id] = 1;
        this.hitList[this.hitCount++] = id;
      }
    }
  }
}

/** A plan: rules evaluated one by one (in rule order) and groups whose results name further matching rules. */
export interface Plan<R> {
  entries: PlanEntry<R>[];
  emitters: FieldGroup<R>[];
}

/** Builds a plan from rules added in rule order with their (specialised) conditions. */
export class PlanBuilder<R> {
  private readonly groups = new Map<string, FieldGroup<R>>();
  private readonly bits = new Map<EventPredicate, EventPredicate>();
  private readonly bitOf = new Map<EventPredicate, { group: FieldGroup<R>; id: number; own: EventPredicate }>();
  private readonly entries: PlanEntry<R>[] = [];

  constructor(
    private readonly cache: FieldValueCache,
    private readonly enabled: boolean,
    private readonly automatonMinLiterals = AUTOMATON_MIN_LITERALS,
  ) {}

  /**
   * The predicate to compile a rule's condition with, for one item predicate: reading its group's result when the
   * item can be shared, else the predicate itself. Call `add` for the rule after its condition is compiled.
   */
  share = (predicate: EventPredicate): EventPredicate => {
    const shareable = (predicate as ShareablePredicate).shareable;
    if (!this.enabled || !shareable) return predicate;
    let bit = this.bits.get(predicate);
    if (bit) return bit;
    const kind = shareable.kind === 'cidr' ? 'cidr' : shareable.folded ? 'folded' : 'raw';
    const key = `${kind}\u0000${shareable.entry.path.field}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new FieldGroup<R>(this.cache, shareable.entry, kind)));
    const id = group.add(shareable);
    const g = group;
    bit = (event) => g.holds(event, id);
    this.bits.set(predicate, bit);
    this.bitOf.set(bit, { group, id, own: predicate });
    return bit;
  };

  add(rule: R, position: number, test: EventPredicate): void {
    const bit = this.bitOf.get(test);
    if (bit) bit.group.emitters[bit.id].push({ rule, position, test: bit.own });
    else this.entries.push({ rule, position, test });
  }

  build(): Plan<R> {
    const emitters: FieldGroup<R>[] = [];
    let moved = false;
    for (const group of this.groups.values()) {
      group.finalize(this.automatonMinLiterals);
      if (!group.emitters.some((list) => list.length > 0)) continue;
      if (group.itemCount > 1) {
        emitters.push(group);
        continue;
      }
      // A group of one item shares nothing: its rule runs its own predicate, which costs less than the group.
      for (const entry of group.emitters[0]) this.entries.push(entry);
      group.emitters[0] = [];
      moved = true;
    }
    if (moved) this.entries.sort((a, b) => a.position - b.position);
    return { entries: this.entries, emitters };
  }
}
