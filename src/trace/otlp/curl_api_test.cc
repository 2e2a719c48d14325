#include "trace/otlp/curl_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::trace::otlp {
namespace {

using ::testing::HasSubstr;

TEST(CurlApiTest, OpensTheSystemLibcurlOnceWithEveryFunction) {
  std::string error;
  const CurlApi* curl = CurlApi::Get(&error);
  ASSERT_NE(curl, nullptr) << error;
  EXPECT_EQ(CurlApi::Get(&error), curl);
  // A call through the table reaches libcurl: it parses an HTTP date (RFC 1123).
  EXPECT_EQ(curl->getdate("Thu, 01 Jan 1970 00:01:40 GMT", nullptr), 100);
  EXPECT_STREQ(curl->easy_strerror(CURLE_OK), "No error");
}

TEST(CurlApiTest, AMissingLibraryIsNamedInTheError) {
  std::string error;
  EXPECT_FALSE(CurlApi::Open("libweft-no-such-curl.so.4", &error));
  EXPECT_THAT(error, HasSubstr("cannot load libweft-no-such-curl.so.4"));
}

TEST(CurlApiTest, ALibraryThatIsNotLibcurlIsRefused) {
  std::string error;
  EXPECT_FALSE(CurlApi::Open("libz.so.1", &error));
  EXPECT_THAT(error, HasSubstr("libz.so.1 is not a usable libcurl: it has no function curl_"));
}

}  // namespace
}  // namespace weft::trace::otlp
