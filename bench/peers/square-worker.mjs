// The task of the pool rows, for piscina and tinypool (a default export).
export default function square(x) {
  return x * x;
}
