// A restricted Python unpickler for state dicts (protocols 2-5): it builds plain values and calls only the
// globals the caller allows (like torch.load(weights_only=True)); anything else is an error, never code.

export type PickleValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PickleValue[] | PickleTuple | Map<PickleValue, PickleValue> | PickleObject | PickleGlobalRef;

/** A reference to a Python global ('module.name'), e.g. a storage class inside a persistent id. */
export class PickleGlobalRef {
  constructor(readonly name: string) {}
}

/** A Python tuple (distinct from a list). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** Whatever an allowed global returned (e.g. a tensor), opaque to the unpickler. */
export class PickleObject {
  constructor(readonly value: unknown) {}
}

/** A global the caller allows: called with the REDUCE/NEWOBJ arguments. */
export type PickleGlobal = (args: PickleValue[]) => PickleValue;

export interface UnpickleOptions {
  /** 'module.name' → implementation. */
  globals: Map<string, PickleGlobal>;
  /** BINPERSID / PERSID: resolves a persistent id (torch storages). */
  persistentLoad: (pid: PickleValue) => PickleValue;
}

export class PickleError extends Error {}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

export function unpickle(data: Uint8Array, options: UnpickleOptions): PickleValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder();
  const stack: StackItem[] = [];
  const memo = new Map<number, StackItem>();
  let p = 0;
  const u8 = () => data[p++];
  const u16 = () => ((p += 2), view.getUint16(p - 2, true));
  const u32 = () => ((p += 4), view.getUint32(p - 4, true));
  const bytes = (n: number) => ((p += n), data.subarray(p - n, p));
  const line = () => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) throw new PickleError('unterminated text line');
    const s = text.decode(data.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): StackItem => {
    if (stack.length === 0) throw new PickleError('stack underflow');
    return stack.pop()!;
  };
  const popMark = (): StackItem[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleError('MARK not found');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const value = (item: StackItem): PickleValue => {
    if (item === MARK) throw new PickleError('unexpected MARK');
    return item;
  };
  const call = (fn: StackItem, args: PickleValue[]): PickleValue => {
    if (!(fn instanceof PickleGlobalRef)) throw new PickleError('REDUCE on a non-callable');
    const impl = options.globals.get(fn.name);
    if (!impl) throw new PickleError(`unsupported global ${fn.name}`);
    return impl(args);
  };
  const tupleArgs = (item: StackItem): PickleValue[] => {
    const v = value(item);
    if (v instanceof PickleTuple) return v.items;
    throw new PickleError('REDUCE arguments are not a tuple');
  };
  const setItems = (target: StackItem, items: StackItem[]) => {
    if (!(target instanceof Map)) throw new PickleError('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.set(value(items[i]), value(items[i + 1]));
  };

  for (;;) {
    if (p >= data.length) throw new PickleError('pickle ended without STOP');
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: p += 8; break; // FRAME
      case 0x2e: return value(pop()); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(((p += 4), view.getInt32(p - 4, true))); break; // BININT
      case 0x8a: case 0x8b: { // LONG1 / LONG4
        const n = op === 0x8a ? u8() : u32();
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[p + i]);
        if (n > 0 && data[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(((p += 8), view.getFloat64(p - 8, false))); break; // BINFLOAT (big-endian)
      case 0x49: { // INT (text)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x58: stack.push(text.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text.decode(bytes(Number(((p += 8), view.getBigUint64(p - 8, true)))))); break; // BINUNICODE8
      case 0x54: stack.push(text.decode(bytes(u32()))); break; // BINSTRING
      case 0x55: stack.push(text.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(new PickleTuple([value(pop())])); break; // TUPLE1
      case 0x86: { const b = value(pop()), a = value(pop()); stack.push(new PickleTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = value(pop()), b = value(pop()), a = value(pop()); stack.push(new PickleTuple([a, b, c])); break; } // TUPLE3
      case 0x74: stack.push(new PickleTuple(popMark().map(value))); break; // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark().map(value)); break; // LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const m = new Map<PickleValue, PickleValue>(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x61: { const v = value(pop()); const list = stack[stack.length - 1]; if (!Array.isArray(list)) throw new PickleError('APPEND on a non-list'); list.push(v); break; }
      case 0x65: { const items = popMark().map(value); const list = stack[stack.length - 1]; if (!Array.isArray(list)) throw new PickleError('APPENDS on a non-list'); list.push(...items); break; }
      case 0x73: { const v = pop(), k = pop(); setItems(stack[stack.length - 1], [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(stack[stack.length - 1], items); break; } // SETITEMS
      case 0x63: { const module = line(); const name = line(); stack.push(new PickleGlobalRef(`${module}.${name}`)); break; } // GLOBAL
      case 0x93: { const name = value(pop()), module = value(pop()); stack.push(new PickleGlobalRef(`${String(module)}.${String(name)}`)); break; } // STACK_GLOBAL
      case 0x52: { const args = tupleArgs(pop()); stack.push(call(pop(), args)); break; } // REDUCE
      case 0x81: { const args = tupleArgs(pop()); stack.push(call(pop(), args)); break; } // NEWOBJ
      case 0x62: pop(); break; // BUILD: state of OrderedDict/_metadata and similar: not needed for tensors
      case 0x51: stack.push(options.persistentLoad(value(pop()))); break; // BINPERSID
      case 0x50: stack.push(options.persistentLoad(line())); break; // PERSID
      case 0x71: memo.set(u8(), stack[stack.length - 1]); break; // BINPUT
      case 0x72: memo.set(u32(), stack[stack.length - 1]); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET / LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new PickleError(`memo key ${key} missing`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(stack[stack.length - 1]); break; // DUP
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}
