FROM gcc:14
RUN apt-get update && apt-get install -y \
    gdb \
    valgrind \
    cmake \
    clang-format \
  && rm -rf /var/lib/apt/lists/*
ARG USERNAME=dev
ARG USER_UID=1000
ARG USER_GID=$USER_UID
RUN groupadd --gid $USER_GID $USERNAME \
    && useradd --uid $USER_UID --gid $USER_GID -m $USERNAME
USER $USERNAME
WORKDIR /home/$USERNAME/src
CMD ["/bin/bash"]
