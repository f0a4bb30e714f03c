// flatnetd's controller host: where the store is, what it refuses, and that
// the service it makes answers through the core it was started on.
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

#include "control/service/controller_host.hpp"
#include "tests/unit/controller/controller_net.hpp"

namespace flatnet::control::controller::testing {
namespace {

TEST(ControllerHost, OpensHomeStoreAndServesThroughTheCore) {
  ControllerNet c;  // for its core and member side; the host replaces its service
  TempDir home;
  std::string err;
  auto host = service::ControllerHost::open(home.path(), "", &err);
  ASSERT_NE(host, nullptr) << err;
  EXPECT_EQ(host->location(), home.file("controller.db"));
  struct stat st {};
  ASSERT_EQ(::stat(home.file("controller.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  c.t.core("b").set_controller(&host->start(c.t.core("b")));
  EXPECT_EQ(host->address(), c.t.b.address());
  Network n = c.network();
  n.is_private = false;
  ASSERT_EQ(host->store().put_network(n, nullptr, &err), store::Status::kOk) << err;
  c.request();
  ASSERT_EQ(c.member.configs.size(), 1u);
  Actions out;
  host->run(c.t.now, out);
  bool seen = false;
  for (const auto& m : host->metrics())
    if (m.name == "flatnet_controller_configs_sent_total") seen = m.value == 1;
  EXPECT_TRUE(seen);
  c.t.core("b").set_controller(nullptr);
}

TEST(ControllerHost, OtherFileAndRefusedPostgres) {
  TempDir home;
  std::string err;
  auto host = service::ControllerHost::open(home.path(), home.file("other.db"), &err);
  ASSERT_NE(host, nullptr) << err;
  EXPECT_TRUE(std::filesystem::exists(home.file("other.db")));
  EXPECT_EQ(service::ControllerHost::open(home.path(), "postgresql://u@h/db", &err), nullptr);
  EXPECT_NE(err.find("PostgreSQL"), std::string::npos) << err;
  EXPECT_EQ(service::ControllerHost::open(home.path(), home.file("no/such/dir/c.db"), &err),
            nullptr);
}

}  // namespace
}  // namespace flatnet::control::controller::testing
