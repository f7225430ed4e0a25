// Symbol visibility for libcucnf: the library is built with hidden visibility, so only
// declarations marked CUCNF_API are exported from the shared object.
#pragma once

#if defined(CUCNF_STATIC)
#define CUCNF_API
#elif defined(_WIN32)
#if defined(CUCNF_BUILDING_LIBRARY)
#define CUCNF_API __declspec(dllexport)
#else
#define CUCNF_API __declspec(dllimport)
#endif
#else
#define CUCNF_API __attribute__((visibility("default")))
#endif
