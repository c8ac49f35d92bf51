// Prints COUNT IDs of the sequence NAME, one a line, through the native port.
// Build inside the tree (it is an examples target): cmake --build build --target next_ids_cpp
//   build/bin/next_ids_cpp 10.0.0.1:19001,10.0.0.2:19001,10.0.0.3:19001 orders 10
#include <rrseq/client.h>

#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: next_ids_cpp SERVER[,SERVER...] NAME COUNT\n";
    return 2;
  }
  rrseq::ClientOptions o;
  std::stringstream servers(argv[1]);
  for (std::string s; std::getline(servers, s, ',');) o.servers.push_back(s);
  o.sequence = argv[2];
  o.buffer_size = 100;  // one round trip per 100 IDs
  std::string error;
  auto client = rrseq::Client::connect(o, &error);
  if (!client) {
    std::cerr << "next_ids_cpp: " << error << "\n";
    return 1;
  }
  for (long i = 0, n = std::stol(argv[3]); i < n; ++i) {
    rrseq::NextResult r = client->next();
    if (!r.ok()) {
      std::cerr << "next_ids_cpp: " << r.error << "\n";
      return 1;
    }
    std::cout << r.id << "\n";
  }
}
