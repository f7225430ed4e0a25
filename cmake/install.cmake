# Installation: the shared library, the public headers, the programs, a CMake package
# (find_package(cucnf CONFIG) -> cucnf::cucnf, with a version file) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(CUCNF_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/cucnf")
# The installed library finds the CUDA runtime where it was built against.
set_target_properties(cucnf PROPERTIES INSTALL_RPATH "${CUDAToolkit_LIBRARY_DIR}")

install(TARGETS cucnf EXPORT cucnfTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/cucnf DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/include/cucnf/version.hpp"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cucnf)

install(EXPORT cucnfTargets NAMESPACE cucnf:: DESTINATION ${CUCNF_CMAKE_DIR})
configure_package_config_file(cmake/cucnfConfig.cmake.in
  "${PROJECT_BINARY_DIR}/cucnfConfig.cmake" INSTALL_DESTINATION ${CUCNF_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cucnfConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cucnfConfig.cmake"
              "${PROJECT_BINARY_DIR}/cucnfConfigVersion.cmake"
  DESTINATION ${CUCNF_CMAKE_DIR})

configure_file(cmake/cucnf.pc.in "${PROJECT_BINARY_DIR}/cucnf.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/cucnf.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
