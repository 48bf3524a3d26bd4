export async function runCompile(_args: string[], _io: unknown): Promise<number> { throw new Error("not yet"); }
