// expect_error: runs fn and expects a cucnf::Error of `kind` whose message contains every
// fragment (any other exception, or none, fails the test).
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <initializer_list>
#include <string>

#include "cucnf/error.hpp"

template <class Fn>
void expect_error(Fn fn, cucnf::ErrorKind kind, std::initializer_list<const char*> fragments) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const cucnf::Error& e) {
    EXPECT_EQ(e.kind(), kind) << cucnf::error_kind_name(e.kind()) << ": " << e.what();
    for (const char* f : fragments)
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "message '" << e.what() << "' lacks '" << f << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a cucnf::Error: " << e.what();
  }
}
