// One thing Node-API cannot do: wrap memory in an ArrayBuffer that V8 does not count as this
// isolate's. napi_create_external_arraybuffer counts the whole length, so mapping the 256 MiB
// arena in a new thread child set off a full GC (~6 ms of its start) in an almost empty heap,
// and every large shared segment did the same. A backing store with V8's empty deleter is
// counted as zero bytes (PerIsolateAccountingLength): right for memory the GC never frees.
// napi_value is a v8::Local<v8::Value> under another name, as in every Node release; the
// callback's handle scope holds it. (node-gyp links with the C++ compiler anyway, so this file
// adds no requirement to the build.)
#include <node_api.h>
#include <v8.h>

extern "C" napi_value mpts_unaccounted_buffer(napi_env env, void* addr, size_t size) {
  (void)env;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(addr, size, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  return reinterpret_cast<napi_value>(*buffer);
}
